/**
 * The raid agent's parameters: one table that both meta-data dialects are rendered from, and one
 * validation that turns the raw strings a cluster manager or swraid.conf gives into typed settings with
 * the agent's own defaults applied (Pacemaker exports no meta-data defaults, rgmanager does: the result
 * is the same either way). Every value is a string checked against one rule (a pattern, a whole number
 * in a range, one of a list), so the rules are plain functions: this runs on every status call, and
 * zod/mini's schema set-up and first parse cost about a third of the agent's own start-up time there
 * (bench/raid-status.mjs).
 */
import { parseTargetList, quoteForMessage, type TargetSpec } from "../iscsi/target-spec.js";
import { canonicalUuid } from "../md/uuid.js";

export const DEGRADED_POLICIES = ["refuse", "safe", "force"] as const;
export type DegradedPolicy = (typeof DEGRADED_POLICIES)[number];

export interface ParamDef {
  readonly name: string;
  readonly type: "string" | "integer";
  readonly required: boolean;
  readonly unique: boolean;
  /** rgmanager only: the parameter that names the resource (ref=, OCF_RESOURCE_INSTANCE). */
  readonly primary?: boolean;
  readonly default?: string;
  /** No `"`, `&`, `<`, `>`: rgmanager's ra2rng.xsl copies it unescaped into cluster.rng. */
  readonly shortdesc: string;
  readonly longdesc: string;
}

export const PARAMS: readonly ParamDef[] = [
  {
    name: "name",
    type: "string",
    required: false,
    unique: true,
    primary: true,
    shortdesc: "Resource name",
    longdesc: "Name of this resource. rgmanager identifies the resource by it; under Pacemaker it defaults to the resource id.",
  },
  {
    name: "md_device",
    type: "string",
    required: false,
    unique: true,
    default: "/dev/md0",
    shortdesc: "md device to assemble, e.g. /dev/md0",
    longdesc: "The md device node the array is assembled as (/dev/mdN or /dev/md/NAME). The filesystem resource mounts this device.",
  },
  {
    name: "uuid",
    type: "string",
    required: true,
    unique: true,
    shortdesc: "UUID of the md array",
    longdesc:
      "The md array UUID (as mdadm --detail prints it). Only the array with this UUID is ever assembled, checked or stopped; members carrying another UUID are refused.",
  },
  {
    name: "targets",
    type: "string",
    required: true,
    unique: false,
    shortdesc: "iSCSI members as IQN@portal, space-separated",
    longdesc:
      "The array members in order: space-separated entries IQN@portal[:port] (portal: IPv4 address, [IPv6] address or host name; port 3260 when omitted). Only these node records are created, logged in and logged out.",
  },
  {
    name: "login_timeout",
    type: "integer",
    required: false,
    unique: false,
    default: "2",
    shortdesc: "Seconds per iSCSI login attempt",
    longdesc: "node.conn[0].timeo.login_timeout written to each target's node record before login.",
  },
  {
    name: "login_retries",
    type: "integer",
    required: false,
    unique: false,
    default: "1",
    shortdesc: "iSCSI initial login retries",
    longdesc: "node.session.initial_login_retry_max written to each target's node record: a dead target costs about login_timeout times login_retries seconds.",
  },
  {
    name: "replacement_timeout",
    type: "integer",
    required: false,
    unique: false,
    default: "5",
    shortdesc: "Seconds before I/O to a lost session fails",
    longdesc: "node.session.timeo.replacement_timeout: how long I/O waits for a lost session before it fails up to md, so md fails a dead member in seconds instead of 120.",
  },
  {
    name: "degraded",
    type: "string",
    required: false,
    unique: false,
    default: "safe",
    shortdesc: "Degraded start policy: refuse, safe or force",
    longdesc:
      "What start does when members are missing. refuse: never start degraded. safe: start degraded only with enough members for the RAID level and when the present members provably include the freshest. force: start whatever md can run, even a dirty degraded RAID5 (logged loudly; may lose data).",
  },
  {
    name: "start_timeout",
    type: "integer",
    required: false,
    unique: false,
    default: "60",
    shortdesc: "Seconds start may take when the cluster manager gives no timeout",
    longdesc: "Deadline of start when neither Pacemaker (OCF_RESKEY_CRM_meta_timeout) nor rgmanager (OCF_RESKEY_RGMANAGER_meta_timeout) passes one.",
  },
  {
    name: "stop_timeout",
    type: "integer",
    required: false,
    unique: false,
    default: "30",
    shortdesc: "Seconds stop may take when the cluster manager gives no timeout",
    longdesc: "Deadline of stop when the cluster manager passes none; logouts from dead targets are bounded by it.",
  },
  {
    name: "status_timeout",
    type: "integer",
    required: false,
    unique: false,
    default: "20",
    shortdesc: "Seconds status may take when the cluster manager gives no timeout",
    longdesc: "Deadline of status, monitor and validate-all when the cluster manager passes none; the depth-20 read is bounded by it.",
  },
];

export interface RaidParams {
  readonly name: string;
  readonly mdDevice: string;
  /** Canonical (32 hex digits). */
  readonly uuid: string;
  readonly targets: readonly TargetSpec[];
  readonly loginTimeoutS: number;
  readonly loginRetries: number;
  readonly replacementTimeoutS: number;
  readonly degraded: DegradedPolicy;
  readonly startTimeoutS: number;
  readonly stopTimeoutS: number;
  readonly statusTimeoutS: number;
}

export interface ParamError {
  readonly param: string;
  readonly message: string;
}

export type ParamsResult = { readonly ok: true; readonly params: RaidParams } | { readonly ok: false; readonly errors: readonly ParamError[] };

const MD_DEVICE = /^\/dev\/(?:md\d{1,3}|md\/[A-Za-z0-9_][A-Za-z0-9_.-]{0,31})$/;
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/;

type Rule = (text: string) => { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

const accept = (value: unknown) => ({ ok: true, value }) as const;
const reject = (message: string) => ({ ok: false, message }) as const;

const pattern =
  (re: RegExp, message: string): Rule =>
  (text) =>
    re.test(text) ? accept(text) : reject(message);

const wholeNumber =
  (min: number, max: number): Rule =>
  (text) => {
    if (!/^\d{1,6}$/.test(text)) return reject("must be a whole number of seconds or tries");
    const n = Number(text);
    return n >= min && n <= max ? accept(n) : reject(`must be between ${min} and ${max}`);
  };

const oneOf =
  (values: readonly string[], message: string): Rule =>
  (text) =>
    values.includes(text) ? accept(text) : reject(message);

const RULES = {
  name: pattern(NAME, "must be 1-64 letters, digits, '_', '.', ':', '-'"),
  md_device: pattern(MD_DEVICE, "must be /dev/mdN or /dev/md/NAME"),
  uuid: (text) => (canonicalUuid(text) !== undefined ? accept(text) : reject("must be an md UUID (32 hex digits, e.g. 1e618de3:71fb3487:b1b62896:ad659dc6)")),
  targets: (text) => (text.length >= 1 ? accept(text) : reject("must list at least one IQN@portal")),
  login_timeout: wholeNumber(1, 300),
  login_retries: wholeNumber(1, 20),
  replacement_timeout: wholeNumber(0, 3600),
  degraded: oneOf(DEGRADED_POLICIES, "must be one of refuse, safe, force"),
  start_timeout: wholeNumber(1, 86400),
  stop_timeout: wholeNumber(1, 86400),
  status_timeout: wholeNumber(1, 86400),
} as const satisfies Record<string, Rule>;

type Key = keyof typeof RULES;

/**
 * Validate raw parameter strings (unset = absent or empty). `fallbackName` names the resource when
 * `name` is not set (Pacemaker: OCF_RESOURCE_INSTANCE). Every problem is reported, each naming its
 * parameter; nothing is partially accepted.
 */
export function validateParams(raw: Readonly<Record<string, string | undefined>>, fallbackName = "raid"): ParamsResult {
  const errors: ParamError[] = [];
  const value = (key: Key): unknown => {
    const def = PARAMS.find((p) => p.name === key);
    const given = raw[key];
    const text = given === undefined || given === "" ? (key === "name" ? fallbackName : def?.default) : given;
    if (text === undefined) {
      errors.push({ param: key, message: "is required but not set" });
      return undefined;
    }
    const r = RULES[key](text);
    if (!r.ok) {
      errors.push({ param: key, message: `${quoteForMessage(text)} ${r.message}` });
      return undefined;
    }
    return r.value;
  };
  const name = value("name") as string;
  const mdDevice = value("md_device") as string;
  const uuidText = value("uuid") as string | undefined;
  const targetsText = value("targets") as string | undefined;
  let targets: TargetSpec[] = [];
  if (targetsText !== undefined) {
    const t = parseTargetList(targetsText);
    if (t.ok) targets = t.value;
    else errors.push({ param: "targets", message: t.error });
  }
  const params = {
    name,
    mdDevice,
    uuid: canonicalUuid(uuidText) ?? "",
    targets,
    loginTimeoutS: value("login_timeout") as number,
    loginRetries: value("login_retries") as number,
    replacementTimeoutS: value("replacement_timeout") as number,
    degraded: value("degraded") as DegradedPolicy,
    startTimeoutS: value("start_timeout") as number,
    stopTimeoutS: value("stop_timeout") as number,
    statusTimeoutS: value("status_timeout") as number,
  };
  return errors.length > 0 ? { ok: false, errors } : { ok: true, params };
}

/** Raw parameter strings from the OCF environment (OCF_RESKEY_<name>). */
export function paramsFromOcfEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  const raw: Record<string, string | undefined> = {};
  for (const p of PARAMS) raw[p.name] = env[`OCF_RESKEY_${p.name}`];
  return raw;
}

/** Names of keys the agent does not know (a typo in swraid.conf must not be silently ignored). */
export function unknownParamNames(raw: Readonly<Record<string, string | undefined>>): string[] {
  const known = new Set(PARAMS.map((p) => p.name));
  return Object.keys(raw).filter((k) => !known.has(k));
}
