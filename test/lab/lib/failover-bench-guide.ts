/**
 * The install guide's side of the failover bench (bench/failover.mjs), as text: its /etc/init.d/swraid,
 * the iSCSI node records and mdadm.conf it leaves on a node, the operator's by-hand re-add, and the crmsh
 * edit that puts the script into the Pacemaker group in place of ocf:pmsapp:raid. Pure (no I/O but
 * reading the guide), so each piece is unit-tested against the real guide text
 * (test/unit/lab/failover-bench.test.ts); failover-bench.ts runs them in the lab.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { confPieces, DISABLED_PREFIX } from "../../../agents/target/mdadm-conf.js";
import { canonicalUuid, mdadmUuid } from "../../../agents/md/uuid.js";
import { REPO_ROOT } from "./paths.js";
import { memberPath, portal, targetIqn } from "./storage.js";

export const GUIDE_PATH = join(REPO_ROOT, "..", "shared", "seed", "install-guide.txt");

/** The md device the guide's script hard-codes (and its cluster.conf's `<fs device="/dev/md0">`). */
export const GUIDE_MD = "/dev/md0";

/** The lsb primitive that replaces `sharedraid` in group storage, at the same position. */
export const SWRAID_RESOURCE = "swraid";

/**
 * The guide's node record settings: its iscsid.conf edit (login_timeout 2, initial_login_retry_max 1,
 * "about 4 seconds before we get a timeout"), EL6's iscsid.conf defaults for the rest (node.startup
 * automatic, which `service iscsi start`'s login-all needs; replacement_timeout 120; noop 5/5). The lab
 * image's iscsid.conf carries tuned values (replacement_timeout 5, noop 2/2): the guide never set those.
 */
export const GUIDE_NODE_SETTINGS: ReadonlyArray<readonly [string, string]> = [
  ["node.startup", "automatic"],
  ["node.conn[0].timeo.login_timeout", "2"],
  ["node.session.initial_login_retry_max", "1"],
  ["node.session.timeo.replacement_timeout", "120"],
  ["node.conn[0].timeo.noop_out_interval", "5"],
  ["node.conn[0].timeo.noop_out_timeout", "5"],
];

/**
 * /etc/init.d/swraid exactly as install-guide.txt prints it ("Save it as /etc/init.d/swraid:"), with
 * EL6's `service iscsi start|stop` written as the commands that service runs on a node whose records are
 * all `node.startup = automatic` (`iscsiadm -m node --loginall=automatic`, `iscsiadm -m node
 * --logoutall=all`); Debian has no `iscsi` service. Nothing else changes (same substitution as
 * bench/raid-start-dead-target.mjs).
 */
export function guideSwraidScript(guide: string = readFileSync(GUIDE_PATH, "utf8")): string {
  // The guide writes a no-break space after "as"; \s matches it.
  const anchor = guide.search(/Save it as\s+\/etc\/init\.d\/swraid:/);
  const from = anchor < 0 ? -1 : guide.indexOf("#!/bin/bash", anchor);
  const to = from < 0 ? -1 : guide.indexOf("\nesac", from);
  if (from < 0 || to < 0) throw new Error(`the swraid script was not found in ${GUIDE_PATH} (no "Save it as /etc/init.d/swraid:" followed by #!/bin/bash ... esac)`);
  const script = guide.slice(from, to + "\nesac".length) + "\n";
  const starts = script.split("service iscsi start").length - 1;
  const stops = script.split("service iscsi stop").length - 1;
  if (starts !== 1 || stops !== 1) throw new Error(`the guide's swraid script changed: expected one 'service iscsi start' and one 'service iscsi stop', found ${starts} and ${stops}`);
  return script.replace("service iscsi start", "iscsiadm -m node --loginall=automatic").replace("service iscsi stop", "iscsiadm -m node --logoutall=all");
}

/**
 * Shell text that (re)writes the node records of `members` with the guide's settings. Run only while no
 * session to them exists (the group stopped): the old record, whatever wrote it, is deleted first.
 */
export function guideNodeRecordsScript(members: readonly number[]): string {
  const records = members.map((n) => {
    const rec = `iscsiadm -m node -T ${targetIqn(n)} -p ${portal(n)}:3260`;
    return [`${rec} -o delete >/dev/null 2>&1 || true`, `${rec} -o new >/dev/null`, ...GUIDE_NODE_SETTINGS.map(([k, v]) => `${rec} -o update -n '${k}' -v ${v}`)].join("\n");
  });
  return ["set -e", ...records].join("\n");
}

/** The ARRAY line the guide's `mdadm --examine --scan` step leaves, naming the device its script uses. */
export function guideArrayLine(uuid: string): string {
  const canonical = canonicalUuid(uuid);
  if (canonical === undefined) throw new Error(`not an md UUID: ${JSON.stringify(uuid)}`);
  return `ARRAY ${GUIDE_MD} metadata=1.2 UUID=${mdadmUuid(canonical)}`;
}

/**
 * mdadm.conf as the guide leaves it: the distribution's file plus one ARRAY line for the array, so
 * udev's `mdadm --incremental` assembles the members as /dev/md0 when they appear and the script's
 * `mdadm --run /dev/md0` starts it. Removed: the lab's per-boot `AUTO -all # lab` line (mdAuto "off"),
 * the target keeper's managed block (its `ARRAY <ignore>` line would stop that assembly) and the lines
 * the keeper commented out, and any other ARRAY line for this UUID (one line, the guide's).
 */
export function guideMdadmConf(text: string, uuid: string): string {
  const canonical = canonicalUuid(uuid);
  if (canonical === undefined) throw new Error(`not an md UUID: ${JSON.stringify(uuid)}`);
  const out: string[] = [];
  for (const piece of confPieces(text.split("\n"))) {
    if (piece.kind === "array") {
      if (piece.uuid !== canonical) out.push(...piece.lines);
    } else if (piece.line !== "AUTO -all # lab" && !piece.line.startsWith(DISABLED_PREFIX)) out.push(piece.line);
  }
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  return [...out, guideArrayLine(uuid)].join("\n") + "\n";
}

/**
 * The crmsh transaction that takes ocf:pmsapp:raid out of group storage and puts the guide's script in
 * at the same place (first), run while the group is stopped; then Filesystem gets the guide's device
 * (its cluster.conf: `<fs device="/dev/md0">`, the device the script starts). Monitor interval as the
 * README's sharedraid (10 s); timeouts from the README's op_defaults.
 */
export function swapToSwraidScript(): string {
  return `set -e
crm configure <<'EOF'
modgroup storage remove sharedraid
delete sharedraid
primitive ${SWRAID_RESOURCE} lsb:swraid op monitor interval=10s
modgroup storage add ${SWRAID_RESOURCE} before sharedvol
commit
EOF
crm_resource --resource sharedvol --set-parameter device --parameter-value ${GUIDE_MD}
crm_verify -L`;
}

/**
 * What the guide's operator does on the active node once the failed node is back (the guide has no
 * automatic re-add): log in to its target again and put its LUN back into /dev/md0 (`--re-add`, bitmap
 * recovery; `--add`, full resync, only if md refuses the re-add). udev's `mdadm --incremental` may
 * already have re-attached it at login; then nothing is added. Prints how it went back.
 */
export function guideReaddScript(member: number): string {
  const path = memberPath(member);
  return `iscsiadm -m node -T ${targetIqn(member)} -p ${portal(member)}:3260 --login >/dev/null 2>&1
udevadm settle --timeout=30
for i in $(seq 30); do [ -e ${path} ] && break; sleep 1; done
[ -e ${path} ] || { echo "the LUN of node${member} did not appear after the login: ${path}" >&2; exit 1; }
dev=$(readlink -f ${path})
if [ -e /sys/block/md0/md/dev-$(basename "$dev") ]; then echo "udev incremental assembly at login"; exit 0; fi
if mdadm ${GUIDE_MD} --re-add ${path} >&2; then echo re-add; exit 0; fi
mdadm ${GUIDE_MD} --add ${path} >&2 && echo add`;
}
