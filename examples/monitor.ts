// `npm start -- monitor [--for SECONDS]`: a small job pipeline to watch in the live monitor.
// Producers feed a bounded Queue; workers take jobs, update a shared record under a Lock and hash
// on a thread pool; now and then one of them blocks the loop. Open the printed URL in a browser,
// or run `npx asyncio-ts pstree URL` in another terminal. It ends after SECONDS (default 120) or
// on Ctrl-C.
import { createTask, gather, Lock, Queue, run, sleep, taskGroup, ThreadPoolExecutor, timeout, TimeoutError } from "../src/index.js";
import { startMonitor } from "../src/monitor/index.js";

export interface DemoOutput {
  out: (line: string) => void;
}

function busy(seconds: number): void {
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end); // a blocking call on the loop: the monitor shows it
}

export async function monitorDemo(io: DemoOutput, seconds = 120): Promise<void> {
  await run(async () => {
    await using monitor = await startMonitor();
    io.out("asyncio-ts monitor demo: producers → Queue(4) → workers under a Lock, with a thread pool.");
    io.out(`Open the monitor:  ${monitor.url}`);
    io.out(`In a terminal:     npx asyncio-ts pstree '${monitor.url}'`);
    io.out(`Running for ${seconds} s (Ctrl-C ends it sooner).`);
    const jobs = new Queue<number>(4);
    const ledger = new Lock();
    await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
    let done = 0;
    try {
      await timeout(seconds, () =>
        taskGroup((tg) => {
          for (const p of [1, 2]) {
            void tg.createTask(async () => {
              for (let n = p * 1000; ; n++) {
                await sleep(0.2 + 0.1 * p);
                await jobs.put(n);
              }
            }, { name: `producer-${p}` });
          }
          for (const w of [1, 2, 3]) {
            void tg.createTask(async () => {
              for (;;) {
                const job = await jobs.get();
                {
                  using _ = await ledger.acquire();
                  await sleep(0.3); // holds the lock across an await: the others queue behind it
                }
                await pool.submit((n: number) => {
                  let h = n;
                  for (let i = 0; i < 3e7; i++) h = (h * 31 + i) | 0;
                  return h;
                }, job);
                if (job % 25 === 0) busy(0.6);
                done++;
              }
            }, { name: `worker-${w}` });
          }
          void tg.createTask(() => gather(createTask(() => sleep(3600), { name: "idle-timer" })), { name: "housekeeping" });
        }),
      );
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
    }
    io.out(`Done: ${done} jobs.`);
  });
}
