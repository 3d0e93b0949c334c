/**
 * The library surface of the toolset, for Deno programs that embed a tracker,
 * a balancer, or the client's transfer engine, or that speak the protocol.
 *
 * @example Start a tracker in-process and ping it over the control protocol
 * ```ts
 * import { defaultTrackerConfig, RpcClient, startTracker } from "./mod.ts";
 *
 * const dataDir = await Deno.makeTempDir();
 * const tracker = await startTracker({
 *   ...defaultTrackerConfig(),
 *   port: 0,
 *   dataDir,
 *   log: () => {},
 * });
 * const rpc = await RpcClient.connect(tracker.addr);
 * const reply = await rpc.request("ping");
 * if (reply["pong"] !== true) throw new Error("the tracker did not answer ping");
 * rpc.close();
 * await rpc.closed;
 * await tracker.close();
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 * @module
 */
export * from "./protocol/mod.ts";
export { startTracker, type TrackerHandle } from "./tracker/tracker_server.ts";
export { defaultConfig as defaultTrackerConfig, type TrackerConfig } from "./tracker/config.ts";
export { type BalancerHandle, startBalancer } from "./balancer/balancer_server.ts";
export { type BalancerConfig, defaultBalancerConfig } from "./balancer/config.ts";
export {
  createWorkerPool,
  type Download,
  type DownloadOptions,
  type DownloadProgress,
  hashFile,
  type Seeder,
  type ShareCatalog,
  type SharedFile,
  startDownload,
  startSeeder,
  type WorkerPool,
} from "./client/transfer/mod.ts";
