"use client";

import { useQuery } from "@tanstack/react-query";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis, Bar, BarChart } from "recharts";
import { useMeridian } from "@/lib/meridian.tsx";
import { metricBlocksQueryOptions } from "@/lib/queries.ts";

const BLOCKS = 60;

/** Network metrics from the chain (last blocks) and from this browser's own submissions. */
export default function MetricsPage() {
  const { readContext, transactions } = useMeridian();
  const blocks = useQuery(metricBlocksQueryOptions(readContext, { count: BLOCKS }));
  const data = blocks.data ?? [];
  const span = data.length > 1 ? data.at(-1)!.timestamp - data[0]!.timestamp : 0;
  const txCount = data.reduce((s, b) => s + b.txs, 0);
  const tps = span > 0 ? txCount / span : 0;

  const settled = transactions.filter((t) => t.status === "confirmed" || t.status === "failed");
  const confirmed = transactions.filter((t) => t.status === "confirmed");
  const latencies = confirmed.filter((t) => t.sentAt && t.settledAt).map((t) => (t.settledAt! - t.sentAt!) / 1000);
  const meanLatency = latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : undefined;
  const successRate = settled.length ? confirmed.length / settled.length : undefined;
  const gasByAction = new Map<string, number[]>();
  for (const t of confirmed)
    if (t.gasUsed !== undefined) gasByAction.set(t.action, [...(gasByAction.get(t.action) ?? []), Number(t.gasUsed)]);
  const gasRows = [...gasByAction.entries()].map(([action, values]) => ({
    action,
    gas: Math.round(values.reduce((a, b) => a + b, 0) / values.length),
    count: values.length,
  }));

  return (
    <>
      <h1>Network metrics</h1>
      <section className="card" aria-labelledby="chain-metrics">
        <h2 id="chain-metrics">The chain (last {data.length} blocks)</h2>
        <p data-testid="tps">
          Throughput: <strong>{tps.toFixed(2)}</strong> transactions per second over {span} s ({txCount} transactions).
        </p>
        <div style={{ width: "100%", height: 220 }} role="img" aria-label="Transactions per block over the last blocks">
          <ResponsiveContainer>
            <BarChart data={data}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="number" label={{ value: "block", position: "insideBottom", offset: -2 }} />
              <YAxis allowDecimals={false} label={{ value: "transactions", angle: -90, position: "insideLeft" }} />
              <Tooltip />
              <Bar dataKey="txs" fill="#0b5cad" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </div>
        <div style={{ width: "100%", height: 220 }} role="img" aria-label="Gas used per block">
          <ResponsiveContainer>
            <LineChart data={data}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="number" />
              <YAxis label={{ value: "gas", angle: -90, position: "insideLeft" }} />
              <Tooltip />
              <Line dataKey="gasUsed" stroke="#0f6b3a" dot={false} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </div>
      </section>
      <section className="card" aria-labelledby="browser-metrics">
        <h2 id="browser-metrics">This browser&apos;s transactions</h2>
        <ul>
          <li>
            Submitted: {transactions.length}; settled: {settled.length}
          </li>
          <li>
            Success rate: {successRate === undefined ? "no transactions yet" : `${(successRate * 100).toFixed(0)} %`}
          </li>
          <li>
            Confirmation latency (sent → confirmed):{" "}
            {meanLatency === undefined ? "no data yet" : `${meanLatency.toFixed(2)} s mean over ${latencies.length}`}
          </li>
        </ul>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Operation</th>
                <th scope="col">Mean gas</th>
                <th scope="col">Count</th>
              </tr>
            </thead>
            <tbody>
              {gasRows.map((r) => (
                <tr key={r.action}>
                  <td>{r.action}</td>
                  <td>{r.gas.toLocaleString("en")}</td>
                  <td>{r.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
