/**
 * Messages between the monitor's main-thread collector and its server thread. The server thread
 * owns the HTTP socket and the watchdog, so it answers (with the last known state and a
 * "blocked" flag) while the main thread spins.
 */
import type { MonitorDiff, MonitorSnapshot } from "./schema.js";

/** What the server thread is started with (`workerData`). */
export interface ServerSetup {
  host: string;
  port: number;
  token: string;
  /** Int32Array over it: [0] is bumped by the main thread every `beat` ms. */
  heartbeat: SharedArrayBuffer;
  beat: number;
  /** Seconds without a heartbeat before the loop counts as blocked. */
  blockedAfter: number;
}

/** Server thread → main thread. */
export type ToMain =
  | { t: "listening"; port: number; address: string }
  | { t: "failed"; message: string; code: string | undefined }
  | { t: "watch"; on: boolean }
  | { t: "snapshot"; req: number }
  | { t: "cancel"; req: number; id: number }
  | { t: "blocked"; seconds: number };

/** Main thread → server thread. */
export type ToServer =
  | { t: "snapshot"; req: number; data: MonitorSnapshot }
  | { t: "diff"; data: MonitorDiff }
  | { t: "cancel"; req: number; status: number; body: { id: number; cancelled: boolean; error?: string } }
  | { t: "close" };
