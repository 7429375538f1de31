/** Terminal output: results as JSON on stdout, messages on stderr, progress bars when stderr is a terminal. */
import cliProgress from "cli-progress";

/** Prints one line to stderr (never secrets). */
export function log(message: string): void {
  process.stderr.write(message + "\n");
}

/** A progress bar on stderr labelled `label` over `total` items; silent off a terminal. */
export function createProgress(label: string, total: number): { increment(): void; stop(): void } {
  if (!process.stderr.isTTY || total === 0) {
    let done = 0;
    const step = Math.max(1, Math.ceil(total / 10));
    return {
      increment: () => {
        done++;
        if (done % step === 0 || done === total) log(`${label}: ${done}/${total}`);
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(8)} [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left`,
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { increment: () => bar.increment(), stop: () => bar.stop() };
}

/** Prints `value` as indented JSON on stdout (bigints as decimal strings): a command's result. */
export function out(value: unknown): void {
  process.stdout.write(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n");
}
