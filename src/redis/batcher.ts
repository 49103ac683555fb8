/**
 * Puts and acknowledgements made in one turn of Node's event loop go to Redis as one script call:
 * a consumer's tasks, woken together by one read, acknowledge together; a producer's puts in
 * flight travel together. The cost is at most one turn of latency (setImmediate).
 *
 * An entry whose caller gave up (cancelled) before the batch was sent is left out of it: a put
 * cancelled before its command went out adds nothing.
 */
import type { Arg } from "./client.js";

interface Entry {
  arg: Arg;
  /** Still wanted when the batch is sent. */
  live: () => boolean;
  /** Told the outcome: the reply for this entry, or the error. */
  settle: (ok: boolean, value: unknown) => void;
}

/** The most arguments in one script call. */
const MAX_BATCH = 1000;

export class Batcher {
  private entries: Entry[] = [];
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();

  /** `send(args)` makes the script call and resolves with one reply per argument. */
  constructor(private readonly send: (args: Arg[]) => Promise<unknown[]>) {}

  add(arg: Arg, live: () => boolean, settle: (ok: boolean, value: unknown) => void): void {
    this.entries.push({ arg, live, settle });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Resolves once every batch sent so far has its reply. */
  async drained(): Promise<void> {
    while (this.scheduled || this.inFlight.size > 0) {
      if (this.scheduled) this.flush();
      await Promise.all(this.inFlight);
    }
  }

  private flush(): void {
    this.scheduled = false;
    const entries = this.entries.filter((e) => e.live());
    this.entries = [];
    for (let i = 0; i < entries.length; i += MAX_BATCH) {
      const batch = entries.slice(i, i + MAX_BATCH);
      const sent = this.send(batch.map((e) => e.arg)).then(
        (replies) => {
          for (let j = 0; j < batch.length; j++) batch[j]?.settle(true, replies[j]);
        },
        (error: unknown) => {
          for (const entry of batch) entry.settle(false, error);
        },
      );
      this.inFlight.add(sent);
      void sent.then(() => this.inFlight.delete(sent));
    }
  }
}
