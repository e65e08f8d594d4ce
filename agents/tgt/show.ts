/**
 * Parser for `tgtadm --lld iscsi --op show --mode target` (tgt 1.0.x).
 *
 * The output is an indented report, one block per target:
 *
 *   Target 1: iqn.2024-01.lab.pmslab:node1.data
 *       System information:          (TAB1 = 4 spaces: section headers)
 *           Driver: iscsi            (TAB2 = 8 spaces: section entries)
 *           State: ready
 *       I_T nexus information:
 *           I_T nexus: 1
 *               Initiator: iqn... alias: node1
 *               Connection: 0
 *                   IP Address: 10.99.0.11
 *       LUN information:
 *           LUN: 0 ... LUN: 1 (properties at TAB3)
 *       Account information:         (CHAP users; "user (outgoing)" for the target's own account)
 *       ACL information:             (initiator addresses / names allowed, or ALL)
 *
 * The parser keys on the section headers and the "Key: value" words rather than on exact column
 * positions, and ignores properties it does not know, so newer tgt versions that add lines still parse.
 */

export interface TgtLun {
  lun: number;
  /** "controller" for LUN 0, "disk" for a block backing store, ... */
  type: string;
  /** The backing store path; undefined when tgt prints "None" (LUN 0) or omits it. */
  backingStore: string | undefined;
  /** "Online: Yes|No"; undefined when the line is missing. */
  online: boolean | undefined;
  /** "Backing store type: rdwr|null|aio|..." */
  backingStoreType: string | undefined;
  /** "Backing store flags: direct|sync|..." (the LUN's bsoflags); undefined when empty. */
  backingStoreFlags: string | undefined;
  scsiId: string | undefined;
  scsiSn: string | undefined;
  readonly: boolean | undefined;
}

export interface TgtNexus {
  nexus: number;
  /** Initiator IQN (without the " alias: ..." suffix). */
  initiator: string;
  alias: string | undefined;
  /** One IP address per connection of this I_T nexus. */
  addresses: string[];
}

export interface TgtAccount {
  user: string;
  outgoing: boolean;
}

export interface TgtTarget {
  tid: number;
  iqn: string;
  /** "ready" | "offline" as printed under System information. */
  state: string | undefined;
  driver: string | undefined;
  luns: TgtLun[];
  nexuses: TgtNexus[];
  /** Entries under "ACL information": addresses, networks, initiator names or "ALL". */
  acl: string[];
  accounts: TgtAccount[];
}

type Section = "system" | "nexus" | "lun" | "account" | "acl" | undefined;

const TARGET_LINE = /^Target (\d+): (\S+)\s*$/;
const SECTION_LINE = /^\s+(System|I_T nexus|LUN|Account|ACL) information:\s*$/;
const KEY_VALUE = /^\s+([^:]+?):\s?(.*)$/;

const yesNo = (v: string): boolean | undefined => (v === "Yes" ? true : v === "No" ? false : undefined);

export function parseTgtShow(text: string): TgtTarget[] {
  const targets: TgtTarget[] = [];
  let target: TgtTarget | undefined;
  let section: Section;
  let lun: TgtLun | undefined;
  let nexus: TgtNexus | undefined;

  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") continue;

    const t = TARGET_LINE.exec(line);
    if (t) {
      target = { tid: Number(t[1]), iqn: t[2] ?? "", state: undefined, driver: undefined, luns: [], nexuses: [], acl: [], accounts: [] };
      targets.push(target);
      section = undefined;
      lun = undefined;
      nexus = undefined;
      continue;
    }
    if (target === undefined) continue;

    const s = SECTION_LINE.exec(line);
    if (s) {
      section = ({ System: "system", "I_T nexus": "nexus", LUN: "lun", Account: "account", ACL: "acl" } as const)[
        s[1] as "System" | "I_T nexus" | "LUN" | "Account" | "ACL"
      ];
      lun = undefined;
      nexus = undefined;
      continue;
    }

    const entry = line.trim();
    if (section === "acl") {
      target.acl.push(entry);
      continue;
    }
    if (section === "account") {
      const out = / \(outgoing\)$/.exec(entry);
      target.accounts.push({ user: out ? entry.slice(0, out.index) : entry, outgoing: out !== null });
      continue;
    }

    const kv = KEY_VALUE.exec(line);
    if (!kv) continue;
    const key = kv[1] ?? "";
    const value = (kv[2] ?? "").trim();

    switch (section) {
      case "system":
        if (key === "Driver") target.driver = value;
        else if (key === "State") target.state = value;
        break;
      case "nexus":
        if (key === "I_T nexus") {
          nexus = { nexus: Number(value), initiator: "", alias: undefined, addresses: [] };
          target.nexuses.push(nexus);
        } else if (nexus !== undefined && key === "Initiator") {
          const m = /^(\S+)(?:\s+alias:\s*(.*))?$/.exec(value);
          nexus.initiator = m?.[1] ?? value;
          const alias = m?.[2]?.trim();
          nexus.alias = alias === undefined || alias === "" || alias === "none" ? undefined : alias;
        } else if (nexus !== undefined && key === "IP Address") {
          nexus.addresses.push(value);
        }
        break;
      case "lun":
        if (key === "LUN") {
          lun = {
            lun: Number(value),
            type: "",
            backingStore: undefined,
            online: undefined,
            backingStoreType: undefined,
            backingStoreFlags: undefined,
            scsiId: undefined,
            scsiSn: undefined,
            readonly: undefined,
          };
          target.luns.push(lun);
        } else if (lun !== undefined) {
          if (key === "Type") lun.type = value;
          else if (key === "Online") lun.online = yesNo(value);
          else if (key === "Readonly") lun.readonly = yesNo(value);
          else if (key === "SCSI ID") lun.scsiId = value;
          else if (key === "SCSI SN") lun.scsiSn = value;
          else if (key === "Backing store type") lun.backingStoreType = value === "" ? undefined : value;
          else if (key === "Backing store flags") lun.backingStoreFlags = value === "" ? undefined : value;
          else if (key === "Backing store path") lun.backingStore = value === "" || value === "None" ? undefined : value;
        }
        break;
      default:
        break;
    }
  }
  return targets;
}

/** The target with this IQN, if tgtd has it. */
export function findTarget(targets: readonly TgtTarget[], iqn: string): TgtTarget | undefined {
  return targets.find((t) => t.iqn === iqn);
}

/** LUNs that carry a backing store (LUN 0, the controller, never does). */
export function dataLuns(target: TgtTarget): TgtLun[] {
  return target.luns.filter((l) => l.backingStore !== undefined);
}
