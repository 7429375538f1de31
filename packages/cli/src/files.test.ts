/**
 * The CLI's state folders and private files on a real file system: a folder Meridian did not
 * create is never emptied, and plaintext files are their owner's alone.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { prepareStateDirectory, STATE_MARKER, StateDirectoryError, writePrivateFile } from "./files.ts";

const options = { option: "--data-dir", owner: "files.test.ts" };

test("a state folder with a user's files is refused for clearing, used as it is without clearing, and never emptied", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "meridian-files-"));
  await writeFile(path.join(dir, "notes.txt"), "mine");
  await assert.rejects(
    prepareStateDirectory(dir, options),
    (e: unknown) =>
      e instanceof StateDirectoryError &&
      /--data-dir .* is not empty and was not created by Meridian/.test(e.shortMessage),
  );
  assert.equal(await prepareStateDirectory(dir, { ...options, clear: false }), dir);
  assert.deepEqual(await readdir(dir), ["notes.txt"], "kept, and not claimed with a marker");
  await assert.rejects(prepareStateDirectory(path.join(dir, "notes.txt"), options), /is a file, not a folder/);
});

test("a state folder Meridian created is marked and emptied on the next use, marker kept", async () => {
  const dir = path.join(await mkdtemp(path.join(tmpdir(), "meridian-files-")), "state");
  await prepareStateDirectory(dir, options);
  await writeFile(path.join(dir, "report.json"), "{}");
  await prepareStateDirectory(dir, options);
  assert.deepEqual(await readdir(dir), [STATE_MARKER]);
});

test("a private file is created 0600 and an existing 0644 file is narrowed before it is written", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "meridian-files-"));
  const file = path.join(dir, "record.json");
  await writePrivateFile(file, "secret");
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const existing = path.join(dir, "shared.json");
  await writeFile(existing, "old", { mode: 0o644 });
  await writePrivateFile(existing, "secret");
  assert.equal((await stat(existing)).mode & 0o777, 0o600);
  assert.equal(await readFile(existing, "utf8"), "secret");
});
