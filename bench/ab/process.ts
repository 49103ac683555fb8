/**
 * Process A/B of two checkouts: each run is a fresh process holding one copy of the library, A and B
 * alternating with the order swapped every round; per round the median of `reps` runs inside the
 * process; reported: the median of the per-round ratios B/A and their spread. Slower than bench/ab.ts
 * and the fairer judge (no shared heap, one context store). Main-thread CPU where Node has it.
 *
 *   node --import tsx bench/ab/process.ts <A checkout> <B checkout> [rounds=4] [workload,...] [-- node flags]
 *   e.g. bench/ab/process.ts /tmp/base . 4 gather,semTasks -- --single-threaded-gc
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { median, workloads } from "./workloads.js";

const dash = process.argv.indexOf("--");
const args = process.argv.slice(2, dash === -1 ? undefined : dash);
const flags = dash === -1 ? [] : process.argv.slice(dash + 1);
const [a, b, roundsArg, onlyArg] = args;
if (a === undefined || b === undefined) throw new Error("usage: bench/ab/process.ts <A checkout> <B checkout> [rounds] [workloads] [-- node flags]");
const rounds = Number(roundsArg ?? 4);
const names = onlyArg?.split(",") ?? Object.keys(workloads);
const child = fileURLToPath(new URL("./child.ts", import.meta.url));
const side = (dir: string, name: string): number =>
  median(JSON.parse(execFileSync(process.execPath, [...flags, "--expose-gc", "--import", "tsx", child, dir, name], { encoding: "utf8" })) as number[]);

console.log(`${process.version} ${flags.join(" ")}: B = ${b}, A = ${a}; ${rounds} rounds, each the median of 11 runs`);
for (const name of names) {
  const as: number[] = [], bs: number[] = [], ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const [ta, tb] = r % 2 === 0 ? [side(a, name), side(b, name)] : (([y, x]) => [x, y])([side(b, name), side(a, name)]);
    as.push(ta!); bs.push(tb!); ratios.push(tb! / ta!);
  }
  const sorted = ratios.slice().sort((x, y) => x - y);
  console.log(`${name.padEnd(16)} A ${median(as).toFixed(1).padStart(6)} ms  B ${median(bs).toFixed(1).padStart(6)} ms  B/A ${median(ratios).toFixed(3)}  [${sorted[0]!.toFixed(2)}..${sorted.at(-1)!.toFixed(2)}]`);
}
