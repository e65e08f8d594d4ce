/**
 * /etc/pmsapp/target.conf (env PMSAPP_TARGET_CONF overrides): what this node exports over iSCSI and which
 * md array the keeper may stop when it finds it holding the disk. Validated with zod; every problem comes
 * back as a line an operator can act on, and a bad file means nothing is exported and nothing is touched.
 *
 * Values end up as tgtadm arguments. tgtadm joins them into one `key=value,key=value` string that tgtd
 * splits on commas, so a comma (or whitespace) in any value would smuggle in another parameter: every
 * value is restricted to a character set without commas, whitespace, quotes or shell characters.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { parseKvFile } from "../config/kv-file.js";
import { canonicalUuid } from "../md/uuid.js";

export const DEFAULT_TARGET_CONF = "/etc/pmsapp/target.conf";

export function targetConfPath(env: NodeJS.ProcessEnv = process.env): string {
  const p = env.PMSAPP_TARGET_CONF;
  return p !== undefined && p !== "" ? p : DEFAULT_TARGET_CONF;
}

/** Folders of udev's stable names; a bare /dev/sdX or /dev/vdX can name another disk after a reboot. */
export const STABLE_DIRS = ["by-id", "by-path", "by-uuid", "by-partuuid", "by-label", "by-partlabel", "by-diskseq"] as const;
const STABLE_PATH = new RegExp(`^/dev/disk/(${STABLE_DIRS.join("|")})/[A-Za-z0-9._:+@=-]+$`);

/**
 * RFC 3720 3.2.6.3: "iqn." yyyy-mm "." reversed domain [":" unique part], after stringprep lower-case; or
 * "eui." 16 hex digits; or "naa." 16 or 32 hex digits. Only a-z 0-9 - . : may follow.
 */
const IQN = /^iqn\.\d{4}-(0[1-9]|1[0-2])\.[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[a-z0-9.:-]+)?$/;
const EUI = /^eui\.[0-9a-f]{16}$/;
const NAA = /^naa\.([0-9a-f]{16}|[0-9a-f]{32})$/;
export function isIscsiName(name: string): boolean {
  return name.length <= 223 && (IQN.test(name) || EUI.test(name) || NAA.test(name));
}

/** One entry of allowed_initiators: an address, an IPv4 network (a.b.c.d/nn), or an initiator name. */
export type InitiatorRule = { readonly kind: "address"; readonly value: string } | { readonly kind: "name"; readonly value: string };

export function parseInitiatorRule(text: string): InitiatorRule | string {
  if (text.toUpperCase() === "ALL") {
    return "ALL is refused: it lets any host that reaches the portal read and write this disk; list the cluster's iSCSI addresses or initiator names";
  }
  if (isIP(text) !== 0) return { kind: "address", value: text };
  const cidr = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text);
  if (cidr && isIP(cidr[1] ?? "") === 4 && Number(cidr[2]) <= 32) return { kind: "address", value: text };
  if (/^(iqn|eui|naa)\./i.test(text)) {
    return isIscsiName(text) ? { kind: "name", value: text } : `'${text}' is not a valid iSCSI initiator name (RFC 3720, lower-case)`;
  }
  return `'${text}' is neither an IP address, an IPv4 network (a.b.c.d/nn) nor an iSCSI initiator name`;
}

/** Words of a list value: separated by commas and/or whitespace. */
const words = (v: string): string[] => v.split(/[\s,]+/).filter(Boolean);

const SAFE_WORD = /^[A-Za-z0-9._-]+$/;
/** CHAP secrets: printable, but nothing tgtd splits on and nothing a shell would interpret. */
const CHAP_SECRET = /^[A-Za-z0-9._~!@#%^*+=:/?-]+$/;

const intIn = (min: number, max: number, what: string) =>
  z
    .string()
    .regex(/^\d+$/, `${what} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${what} must be between ${min} and ${max}`);

const yesNo = z.enum(["yes", "no"], { error: "must be yes or no" }).transform((v) => v === "yes");

const schema = z
  .object({
    backing_device: z
      .string({ error: "backing_device is required (a stable path such as /dev/disk/by-path/...)" })
      .refine((v) => STABLE_PATH.test(v), {
        error: (iss) =>
          `backing_device '${String(iss.input)}' is not a stable path: use /dev/disk/{${STABLE_DIRS.join(",")}}/<name>; a bare /dev/sdX or /dev/vdX can name another disk after a reboot`,
      }),
    iqn: z
      .string({ error: "iqn is required" })
      .refine(isIscsiName, {
        error: (iss) => `iqn '${String(iss.input)}' is not a valid iSCSI name (RFC 3720: iqn.yyyy-mm.reversed.domain[:name], lower-case a-z 0-9 . - :)`,
      }),
    tid: intIn(1, 65535, "tid").default(1),
    lun: intIn(1, 255, "lun (LUN 0 is tgt's controller)").default(1),
    cluster_iscsi_addresses: z.string().optional(),
    allowed_initiators: z.string().optional(),
    chap_user: z.string().regex(SAFE_WORD, "chap_user may only contain A-Z a-z 0-9 . _ -").max(64).optional(),
    chap_password: z
      .string()
      .min(12, "chap_password must have at least 12 characters (RFC 3720 7.2.1 for CHAP secrets without IPsec)")
      .max(128, "chap_password is longer than 128 characters")
      .regex(CHAP_SECRET, "chap_password may not contain commas, spaces, quotes, backslashes or shell characters ($ ` ; & | < >)")
      .optional(),
    managed_uuid: z
      .string({ error: "managed_uuid is required: the UUID of the shared array whose member superblock this disk carries" })
      .transform((v, ctx) => {
        const c = canonicalUuid(v);
        if (c === undefined) {
          ctx.addIssue({ code: "custom", message: `managed_uuid '${v}' is not an md array UUID (e.g. 1e618de3:71fb3487:b1b62896:ad659dc6)` });
          return z.NEVER;
        }
        return c;
      }),
    mdadm_conf: z
      .string()
      .regex(/^\/[A-Za-z0-9._/-]+$/, "mdadm_conf must be an absolute path")
      .optional(),
    md_autoassembly_block: z.enum(["ignore-uuid", "auto-all"], { error: "md_autoassembly_block must be ignore-uuid or auto-all" }).default("ignore-uuid"),
    refresh_initramfs: yesNo.default(true),
    mask_last_resort: yesNo.default(true),
    scsi_id: z.string().regex(SAFE_WORD, "scsi_id may only contain A-Z a-z 0-9 . _ -").max(24).optional(),
    scsi_sn: z.string().regex(/^[A-Za-z0-9]+$/, "scsi_sn may only contain letters and digits").max(36).optional(),
    bsoflags: z.enum(["direct", "sync"], { error: "bsoflags must be direct or sync (or left unset)" }).optional(),
    udev_settle_timeout_s: intIn(1, 300, "udev_settle_timeout_s").default(10),
    start_timeout_s: intIn(5, 3600, "start_timeout_s").default(90),
    portal: z
      .string()
      .refine((v) => parsePortal(v) !== undefined, { error: (iss) => `portal '${String(iss.input)}' must be an IPv4 address with an optional :port (e.g. 10.99.0.11:3260)` })
      .optional(),
    tgtd_log: z
      .string()
      .regex(/^\/[A-Za-z0-9._/-]+$/, "tgtd_log must be an absolute path")
      .default("/var/log/pmsapp/tgtd.log"),
  })
  .strict();

/** "10.99.0.11" or "10.99.0.11:3260" -> address and port. */
export function parsePortal(text: string): { address: string; port: number } | undefined {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(text);
  if (!m || isIP(m[1] ?? "") !== 4) return undefined;
  const port = m[2] === undefined ? 3260 : Number(m[2]);
  return port >= 1 && port <= 65535 ? { address: m[1] as string, port } : undefined;
}

export interface TargetConfig {
  readonly backingDevice: string;
  readonly iqn: string;
  readonly tid: number;
  readonly lun: number;
  /** Who may log in; never ALL. */
  readonly allowedInitiators: readonly InitiatorRule[];
  readonly chap: { readonly user: string; readonly password: string } | undefined;
  /** Canonical (32 hex digits). */
  readonly managedUuid: string;
  /** undefined: detect (/etc/mdadm/mdadm.conf on Debian, /etc/mdadm.conf on EL). */
  readonly mdadmConf: string | undefined;
  readonly mdAutoassemblyBlock: "ignore-uuid" | "auto-all";
  readonly refreshInitramfs: boolean;
  readonly maskLastResort: boolean;
  readonly scsiId: string;
  readonly scsiSn: string;
  readonly bsoflags: "direct" | "sync" | undefined;
  readonly udevSettleTimeoutS: number;
  readonly startTimeoutS: number;
  readonly tgtdLog: string;
  /** Where a tgtd started by the keeper listens; undefined: tgtd's default (all addresses, port 3260). */
  readonly portal: { readonly address: string; readonly port: number } | undefined;
}

export type ConfigResult = { readonly ok: true; readonly config: TargetConfig } | { readonly ok: false; readonly errors: readonly string[] };

/**
 * Per-node SCSI identity. tgt gives every LUN the same serial (beaf1<lun>) on every node, so by-id links of
 * two nodes' LUNs collide on the initiator; the default is derived from the (per-node) IQN.
 */
export function defaultScsiIdentity(iqn: string): { scsiId: string; scsiSn: string } {
  const tail = iqn.slice(iqn.lastIndexOf(":") + 1 || iqn.lastIndexOf(".") + 1).replace(/[^A-Za-z0-9._-]/g, "");
  let h = 0x811c9dc5;
  for (const ch of iqn) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  const hex = h.toString(16).padStart(8, "0");
  return { scsiId: `pmsapp-${tail}`.slice(0, 24), scsiSn: `pmsapp${hex}` };
}

export function parseTargetConfig(text: string, fileName = DEFAULT_TARGET_CONF): ConfigResult {
  const kv = parseKvFile(text, fileName);
  if (!kv.ok) return { ok: false, errors: kv.errors };
  const parsed = schema.safeParse(kv.values);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => {
        if (i.code === "unrecognized_keys") return `${fileName}: unknown key(s) ${i.keys.map((k) => `'${k}'`).join(", ")}`;
        const key = i.path.join(".");
        return `${fileName}: ${key ? `${key}: ` : ""}${i.message}`;
      }),
    };
  }
  const v = parsed.data;
  const errors: string[] = [];

  const ruleText = v.allowed_initiators ?? v.cluster_iscsi_addresses;
  if (ruleText === undefined || words(ruleText).length === 0) {
    errors.push(
      `${fileName}: set cluster_iscsi_addresses (the iSCSI addresses of all cluster nodes, the default allowed initiators) or allowed_initiators; the keeper never exports to ALL`,
    );
  }
  const allowed: InitiatorRule[] = [];
  for (const w of words(ruleText ?? "")) {
    const r = parseInitiatorRule(w);
    if (typeof r === "string") errors.push(`${fileName}: ${v.allowed_initiators !== undefined ? "allowed_initiators" : "cluster_iscsi_addresses"}: ${r}`);
    else if (!allowed.some((a) => a.value === r.value)) allowed.push(r);
  }
  if ((v.chap_user === undefined) !== (v.chap_password === undefined)) {
    errors.push(`${fileName}: chap_user and chap_password go together: set both for CHAP, or neither`);
  }
  if (errors.length > 0) return { ok: false, errors };

  const identity = defaultScsiIdentity(v.iqn);
  return {
    ok: true,
    config: {
      backingDevice: v.backing_device,
      iqn: v.iqn,
      tid: v.tid,
      lun: v.lun,
      allowedInitiators: allowed,
      chap: v.chap_user !== undefined && v.chap_password !== undefined ? { user: v.chap_user, password: v.chap_password } : undefined,
      managedUuid: v.managed_uuid,
      mdadmConf: v.mdadm_conf,
      mdAutoassemblyBlock: v.md_autoassembly_block,
      refreshInitramfs: v.refresh_initramfs,
      maskLastResort: v.mask_last_resort,
      scsiId: v.scsi_id ?? identity.scsiId,
      scsiSn: v.scsi_sn ?? identity.scsiSn,
      bsoflags: v.bsoflags,
      udevSettleTimeoutS: v.udev_settle_timeout_s,
      startTimeoutS: v.start_timeout_s,
      tgtdLog: v.tgtd_log,
      portal: v.portal !== undefined ? parsePortal(v.portal) : undefined,
    },
  };
}
