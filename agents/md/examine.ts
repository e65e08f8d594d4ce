/**
 * Parsers for what mdadm says about members and arrays (mdadm 4.2 output, v1.x superblocks):
 *   `mdadm --examine --export <dev>`  MD_UUID, MD_LEVEL, MD_DEVICES, MD_EVENTS, MD_DEV_UUID …
 *   `mdadm --examine <dev>`           adds what --export lacks: State (clean/active), Device Role, Array State
 *   `mdadm --detail --export <md>`    the running array's members and roles
 * Pure functions over text; failures come back as values (no superblock, cannot open).
 */
import { canonicalUuid } from "./uuid.js";

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** Shell-style KEY=VALUE lines as mdadm --export prints them. */
export function parseExportLines(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([A-Z][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (m !== null) out.set(m[1] as string, m[2] as string);
  }
  return out;
}

export interface ExamineExport {
  readonly uuid: string;
  readonly level: string;
  readonly raidDevices: number;
  readonly events: number;
  readonly devUuid: string;
  readonly name: string | undefined;
  readonly updateTime: number | undefined;
}

const int = (t: string | undefined): number | undefined => (t !== undefined && /^\d+$/.test(t.trim()) ? Number(t.trim()) : undefined);

export function parseExamineExport(text: string): Parsed<ExamineExport> {
  const kv = parseExportLines(text);
  const uuid = canonicalUuid(kv.get("MD_UUID"));
  const devUuid = canonicalUuid(kv.get("MD_DEV_UUID"));
  const level = kv.get("MD_LEVEL");
  const raidDevices = int(kv.get("MD_DEVICES"));
  const events = int(kv.get("MD_EVENTS"));
  if (uuid === undefined || devUuid === undefined || level === undefined || raidDevices === undefined || events === undefined) {
    const missing = ["MD_UUID", "MD_DEV_UUID", "MD_LEVEL", "MD_DEVICES", "MD_EVENTS"].filter((k) => !kv.has(k));
    return { ok: false, error: `mdadm --examine --export: incomplete superblock facts${missing.length ? ` (missing ${missing.join(", ")})` : ""}` };
  }
  return { ok: true, value: { uuid, level, raidDevices, events, devUuid, name: kv.get("MD_NAME"), updateTime: int(kv.get("MD_UPDATE_TIME")) } };
}

/** A member's role: its slot, or what it is when it has none. */
export type DeviceRole = { readonly kind: "active"; readonly slot: number } | { readonly kind: "spare" } | { readonly kind: "replacement"; readonly slot: number } | { readonly kind: "other"; readonly text: string };

export interface Examine {
  readonly uuid: string;
  readonly devUuid: string;
  readonly metadataVersion: string;
  readonly level: string;
  readonly raidDevices: number;
  /** Superblock State: "clean" after a clean stop, "active" while writes may be in flight (dirty). */
  readonly state: string;
  readonly clean: boolean;
  readonly events: number;
  readonly role: DeviceRole;
  /**
   * This member's own view of every slot when its superblock was last written: 'A' active, '.' missing,
   * 'R' replacing. E.g. "A." = slot 1 had failed or was absent.
   */
  readonly arraySlots: string;
  /** Sectors recovered so far when a rebuild onto this member is incomplete. */
  readonly recoveryOffset: number | undefined;
  /** v1.x feature bits ("Feature Map : 0x1"): bitmap 0x1, journal 0x200, PPL 0x400 (the array's layout, issue 9). */
  readonly featureMap?: number;
}

function parseRole(text: string): DeviceRole {
  const t = text.trim();
  let m = /^Active device (\d+)$/.exec(t);
  if (m !== null) return { kind: "active", slot: Number(m[1]) };
  m = /^Replacement device (\d+)$/.exec(t);
  if (m !== null) return { kind: "replacement", slot: Number(m[1]) };
  if (/^spare$/i.test(t)) return { kind: "spare" };
  return { kind: "other", text: t };
}

/** `mdadm --examine <dev>` for a v1.x superblock. */
export function parseExamine(text: string): Parsed<Examine> {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Za-z][A-Za-z ]*?)\s+:\s(.*)$/.exec(line);
    if (m !== null && !fields.has(m[1] as string)) fields.set(m[1] as string, (m[2] as string).trim());
  }
  const version = fields.get("Version");
  if (version === undefined) return { ok: false, error: "mdadm --examine: no superblock fields found" };
  if (!version.startsWith("1.")) return { ok: false, error: `mdadm --examine: metadata ${version} is not supported (pmsapp arrays use 1.2)` };
  const uuid = canonicalUuid(fields.get("Array UUID"));
  const devUuid = canonicalUuid(fields.get("Device UUID"));
  const level = fields.get("Raid Level");
  const raidDevices = int(fields.get("Raid Devices"));
  const events = int(fields.get("Events"));
  const state = fields.get("State");
  const role = fields.get("Device Role");
  const arraySlots = /^([A.R]+)(?:\s|$)/.exec(fields.get("Array State") ?? "")?.[1];
  if (uuid === undefined || devUuid === undefined || level === undefined || raidDevices === undefined || events === undefined || state === undefined || role === undefined || arraySlots === undefined) {
    return { ok: false, error: "mdadm --examine: a required field (Array UUID, Device UUID, Raid Level, Raid Devices, Events, State, Device Role, Array State) is missing" };
  }
  const recovery = /^(\d+) sectors/.exec(fields.get("Recovery Offset") ?? "");
  const featureMap = /^0x([0-9a-fA-F]+)$/.exec(fields.get("Feature Map") ?? "");
  return {
    ok: true,
    value: {
      uuid,
      devUuid,
      metadataVersion: version,
      level,
      raidDevices,
      state,
      clean: state === "clean",
      events,
      role: parseRole(role),
      arraySlots,
      recoveryOffset: recovery === null ? undefined : Number(recovery[1]),
      ...(featureMap === null ? {} : { featureMap: parseInt(featureMap[1] as string, 16) }),
    },
  };
}

export interface DetailMember {
  readonly device: string;
  /** Slot number, or "spare"/"faulty"/… as mdadm prints it. */
  readonly role: number | string;
}

export interface DetailExport {
  readonly uuid: string;
  readonly level: string | undefined;
  readonly raidDevices: number | undefined;
  readonly members: readonly DetailMember[];
}

/** `mdadm --detail --export <md>` (an inactive array has no MD_LEVEL). */
export function parseDetailExport(text: string): Parsed<DetailExport> {
  const kv = parseExportLines(text);
  const uuid = canonicalUuid(kv.get("MD_UUID"));
  if (uuid === undefined) return { ok: false, error: "mdadm --detail --export: no MD_UUID" };
  const members: DetailMember[] = [];
  for (const [key, value] of kv) {
    const m = /^MD_DEVICE_(.+)_DEV$/.exec(key);
    if (m === null) continue;
    const roleText = kv.get(`MD_DEVICE_${m[1]}_ROLE`) ?? "unknown";
    members.push({ device: value, role: /^\d+$/.test(roleText) ? Number(roleText) : roleText });
  }
  return { ok: true, value: { uuid, level: kv.get("MD_LEVEL"), raidDevices: int(kv.get("MD_DEVICES")), members } };
}

/** What an `mdadm --examine` failure means for a candidate member. */
export type ExamineFailure = "no-superblock" | "cannot-open" | "failed";

export function classifyExamineFailure(stderr: string): ExamineFailure {
  if (/No md superblock detected/i.test(stderr)) return "no-superblock";
  if (/cannot open/i.test(stderr)) return "cannot-open";
  return "failed";
}

/**
 * md's own start rule (mdadm Assemble.c `enough()`): members needed for the array to run. Levels this
 * agent does not know must have every member.
 */
export function minimumMembers(level: string, raidDevices: number, clean: boolean): number {
  switch (level) {
    case "raid1":
      return 1;
    case "raid4":
    case "raid5":
      return clean ? raidDevices - 1 : raidDevices;
    case "raid6":
      return clean ? raidDevices - 2 : raidDevices;
    default:
      return raidDevices;
  }
}

/** Parity levels, where a dirty degraded start can return wrong data for the missing member's blocks. */
export function hasParity(level: string): boolean {
  return level === "raid4" || level === "raid5" || level === "raid6";
}
