/** One side of bench/ab/process.ts: a checkout's library alone in this process; prints a JSON array of CPU ms per run. */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { cpuMs, workloads, type Lib } from "./workloads.js";

const [dir, name, repsArg] = process.argv.slice(2);
const work = workloads[name ?? ""];
if (dir === undefined || work === undefined) throw new Error(`usage: child.ts <checkout> <${Object.keys(workloads).join("|")}> [reps]`);
const L = (await import(pathToFileURL(resolve(dir, "src/index.ts")).href)) as Lib;
await work(L); await work(L); // warm-up
const times: number[] = [];
for (let i = 0; i < Number(repsArg ?? 11); i++) times.push(await cpuMs(() => work(L)));
console.log(JSON.stringify(times));
