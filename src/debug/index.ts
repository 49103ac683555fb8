export { monitorLoopLag, type LagMonitor, type LagMonitorOptions } from "./lagMonitor.js";
export { formatTaskTree, printTaskTree } from "./taskTree.js";
