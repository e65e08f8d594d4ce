/**
 * Is Pacemaker's controller running on this node? Read from the process table (/proc/<pid>/comm, which
 * the kernel truncates to 15 characters: "pacemaker-contr" for Pacemaker 2.x's pacemaker-controld,
 * "crmd" for 1.x). When it is not, every crm_node / crm_attribute call would only fail ("Could not
 * connect to controller", exit 102), after seconds of retrying on a loaded host: the agent skips them.
 * A tree without a process table (a captured sysfs tree) answers "unknown", and the caller asks.
 */
import type { HostFs } from "../system/host-fs.js";

const CONTROLLER_COMMS: ReadonlySet<string> = new Set(["pacemaker-contr", "crmd"]);

export type ControllerPresence = "running" | "absent" | "unknown";

export function pacemakerController(fs: HostFs): ControllerPresence {
  const pids = (fs.readDir("/proc") ?? []).filter((e) => /^\d+$/.test(e));
  if (pids.length === 0) return "unknown";
  for (const pid of pids) {
    const comm = fs.readText(`/proc/${pid}/comm`);
    if (comm !== undefined && CONTROLLER_COMMS.has(comm.trim())) return "running";
  }
  return "absent";
}
