/**
 * pmsapp-target: the target keeper's command line (bundled to dist/target.cjs, run by the shim
 * /usr/libexec/pmsapp/pmsapp-target from the pmsapp-target service or by hand).
 *
 *   start               export the disk (idempotent), exit 0 | 1 refused/failed | 5 tools missing | 6 bad config
 *   stop [--force]      remove the export; refuses while initiators are logged in unless --force
 *   status              LSB: 0 exported from the right disk and no local md holds it, 3 not, 4 bad config
 *   check-config        validate target.conf and look at the disk, changing nothing: 0 good, 6 bad, 1 disk problem
 *
 * Logs: JSON lines on stderr; each step also goes to the agents' journal. status and check-config print one
 * human line on stdout.
 */
import { readFileSync } from "node:fs";
import { createExecaRunner } from "../system/execa-runner.js";
import { realHostFs } from "../system/host-fs.js";
import { unixSocketTransport } from "../tgt/ipc.js";
import { createDetachedSpawner, TGTD_PID_FILE } from "../tgt/tgtd.js";
import { parseTargetConfig, targetConfPath, type ConfigResult } from "./config.js";
import { inspectDisk, resolveBackingDevice } from "./disk.js";
import { createKeeperEvents } from "./events.js";
import { rootedFiles } from "./files.js";
import { LSB, LSB_STATUS, startKeeper, statusKeeper, stopKeeper, type KeeperDeps } from "./keeper.js";

const USAGE = "usage: pmsapp-target start | stop [--force] | status | check-config";
export const INITRAMFS_STAMP = "/var/lib/pmsapp/target/initramfs-mdadm-conf.sha256";

export function loadConfig(path: string): ConfigResult {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return { ok: false, errors: [`cannot read ${path}: ${(e as Error).message}`] };
  }
  return parseTargetConfig(text, path);
}

export async function main(argv: readonly string[]): Promise<number> {
  const [action, ...rest] = argv;
  const known = ["start", "stop", "status", "check-config"];
  if (action === undefined || !known.includes(action) || rest.some((a) => a !== "--force") || (rest.length > 0 && action !== "stop")) {
    process.stderr.write(`pmsapp-target: unknown action or option '${[action ?? "", ...rest].join(" ").trim()}'\n${USAGE}\n`);
    return action === "status" ? LSB_STATUS.UNKNOWN : LSB.ARGS;
  }
  const confPath = targetConfPath();
  const loaded = loadConfig(confPath);
  if (!loaded.ok) {
    process.stderr.write(`pmsapp-target: ${confPath} is not valid; nothing exported, nothing changed:\n${loaded.errors.map((e) => `  ${e}`).join("\n")}\n`);
    if (action === "check-config") process.stdout.write(`invalid: ${loaded.errors.length} problem(s) in ${confPath}\n`);
    return action === "status" ? LSB_STATUS.UNKNOWN : LSB.NOT_CONFIGURED;
  }
  const config = loaded.config;
  const fs = realHostFs();

  if (action === "check-config") {
    const resolved = resolveBackingDevice(fs, config.backingDevice);
    if (!resolved.ok) {
      process.stdout.write(`config valid, but: ${resolved.reason}\n`);
      return LSB.GENERIC;
    }
    const disk = inspectDisk(fs, resolved);
    const notes = [
      ...(disk.usage?.mountedAt.length ? [`mounted at ${disk.usage.mountedAt.join(", ")}`] : []),
      ...(disk.usage?.swap ? ["used as swap"] : []),
      ...(disk.otherHolders.length ? [`held by ${disk.otherHolders.join(", ")}`] : []),
      ...(disk.mdHolders.length ? [`held by md ${disk.mdHolders.join(", ")} (start stops it only if it is the managed array and unused)`] : []),
    ];
    process.stdout.write(`config valid: ${config.backingDevice} is ${resolved.device}${notes.length ? `; ${notes.join("; ")}` : ""}\n`);
    return disk.usage?.mountedAt.length || disk.usage?.swap || disk.otherHolders.length ? LSB.GENERIC : LSB.OK;
  }

  const deps: KeeperDeps = {
    runner: createExecaRunner(),
    fs,
    files: rootedFiles("/"),
    spawner: createDetachedSpawner(),
    ipc: unixSocketTransport(),
    events: createKeeperEvents(config.iqn, config.managedUuid),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: Date.now,
    pidFile: TGTD_PID_FILE,
    initramfsStamp: INITRAMFS_STAMP,
  };
  if (action === "status") {
    const s = await statusKeeper(config, deps);
    process.stdout.write(`${s.message}\n`);
    return s.rc;
  }
  const outcome = action === "start" ? await startKeeper(config, deps) : await stopKeeper(config, deps, rest.includes("--force"));
  return outcome.rc;
}

// Run only as the bundle's entry (CommonJS); importing this module (tests, ESM) runs nothing.
if (typeof require !== "undefined" && typeof module !== "undefined" && require.main === module) {
  main(process.argv.slice(2)).then(
    (rc) => {
      process.exitCode = rc;
    },
    (e: unknown) => {
      process.stderr.write(`pmsapp-target: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = LSB.GENERIC;
    },
  );
}
