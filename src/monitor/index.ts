/**
 * asyncio-ts/monitor: the live task monitor (a page, a JSON API and server-sent events), off
 * unless started. See docs/guide/08-debugging.md.
 */
export { startMonitor, type Monitor, type MonitorOptions } from "./monitor.js";
export type {
  MonitorDiff,
  MonitorExecutor,
  MonitorLagSample,
  MonitorPrimitive,
  MonitorSlow,
  MonitorSnapshot,
  MonitorTask,
  MonitorWait,
  MonitorWaiter,
  MonitorWarning,
} from "./schema.js";
