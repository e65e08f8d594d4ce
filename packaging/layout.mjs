// The one install layout of pmsapp. packaging/stage.mjs lays it out under a destdir; rpm.spec's %install
// runs that same command, and its %files lists the same paths (the contract test compares the two trees).
// Every source file names who writes it, so a missing file is reported to the right person.
import { ENTRIES } from "./entries.mjs";

/** The init systems a staged tree can carry: EL7+ and Debian use systemd, EL6 uses SysV scripts. */
export const INIT_SYSTEMS = ["systemd", "sysv"];

/** Directories the package owns (created even when empty), with their modes. */
export const OWNED_DIRS = [
  { dest: "usr/lib/pmsapp", mode: 0o755 },
  { dest: "usr/lib/ocf/resource.d/pmsapp", mode: 0o755 },
  { dest: "usr/libexec/pmsapp", mode: 0o755 },
  { dest: "etc/pmsapp", mode: 0o755 },
  // State: the agents' journal lives in journal/; only root (agents, pmsappd) writes or reads it.
  { dest: "var/lib/pmsapp", mode: 0o750 },
  { dest: "var/lib/pmsapp/journal", mode: 0o750 },
  // Logs written to files: tgtd started by the target keeper, pmsappd under the SysV script.
  { dest: "var/log/pmsapp", mode: 0o750 },
  { dest: "usr/share/licenses/pmsapp", mode: 0o755 },
];

const RAID = "the raid-agent helper";
const TARGET = "the target-keeper helper";
const DAEMON = "the daemon helper";
const PACKAGING = "the packaging helper";

/**
 * Files copied as they are from the source tree (a clone after `npm run build`, or the RPM source
 * tarball). `src` is relative to the source root, `dest` to the destdir.
 * @param {"systemd" | "sysv"} init
 */
export function copiedFiles(init) {
  const bundles = ENTRIES.map((e) => ({
    src: `dist/${e.out}`,
    dest: `usr/lib/pmsapp/${e.out}`,
    mode: 0o644,
    writtenBy: `${ownerOfEntry(e.src)} (${e.src}, bundled by npm run build)`,
  }));
  const shims = [
    { src: "packaging/shims/ocf-raid.sh", dest: "usr/lib/ocf/resource.d/pmsapp/raid", mode: 0o755, writtenBy: RAID },
    { src: "packaging/shims/rgmanager-raid.sh", dest: "usr/share/cluster/pmsapp-raid.sh", mode: 0o755, writtenBy: RAID },
    { src: "packaging/shims/swraid.sh", dest: "usr/libexec/pmsapp/swraid", mode: 0o755, writtenBy: RAID },
    { src: "packaging/shims/pmsapp-target.sh", dest: "usr/libexec/pmsapp/pmsapp-target", mode: 0o755, writtenBy: TARGET },
    { src: "packaging/shims/pmsapp.sh", dest: "usr/bin/pmsapp", mode: 0o755, writtenBy: PACKAGING },
    { src: "packaging/shims/pmsappd.sh", dest: "usr/sbin/pmsappd", mode: 0o755, writtenBy: PACKAGING },
  ];
  const services =
    init === "systemd"
      ? [
          { src: "packaging/systemd/pmsappd.service", dest: "usr/lib/systemd/system/pmsappd.service", mode: 0o644, writtenBy: PACKAGING },
          { src: "packaging/systemd/pmsapp-target.service", dest: "usr/lib/systemd/system/pmsapp-target.service", mode: 0o644, writtenBy: PACKAGING },
        ]
      : [
          { src: "packaging/sysv/pmsappd.init", dest: "etc/rc.d/init.d/pmsappd", mode: 0o755, writtenBy: PACKAGING },
          { src: "packaging/sysv/pmsapp-target.init", dest: "etc/rc.d/init.d/pmsapp-target", mode: 0o755, writtenBy: PACKAGING },
        ];
  // Defaults for /etc/pmsapp: readable by root's group only (they may name portals and devices).
  const configs = [
    { src: "packaging/config/swraid.conf", dest: "etc/pmsapp/swraid.conf", mode: 0o640, writtenBy: RAID },
    { src: "packaging/config/target.conf", dest: "etc/pmsapp/target.conf", mode: 0o640, writtenBy: TARGET },
    { src: "packaging/config/pmsappd.conf", dest: "etc/pmsapp/pmsappd.conf", mode: 0o640, writtenBy: DAEMON },
  ];
  // tgtd.log and (EL6) pmsappd.log in /var/log/pmsapp grow for ever without it.
  const logrotate = [{ src: "packaging/logrotate/pmsapp", dest: "etc/logrotate.d/pmsapp", mode: 0o644, writtenBy: PACKAGING }];
  return [...bundles, ...shims, ...services, ...configs, ...logrotate];
}

/** @param {string} src */
function ownerOfEntry(src) {
  if (src.startsWith("agents/raid/")) return RAID;
  if (src.startsWith("agents/target/")) return TARGET;
  return DAEMON;
}
