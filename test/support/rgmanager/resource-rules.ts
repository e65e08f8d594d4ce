/**
 * What rgmanager makes of an agent's meta-data: a model of load_resource_rules()/resrules.c as written
 * down in the contract reference §1.1-§1.2. Tests use it to check our meta-data the way rgmanager would
 * read it (first match of each XPath, atoi flags, "y…" counts as yes, expand_time for times), and to
 * know which defaults rgmanager exports as OCF_RESKEY_* (§1.3-§1.4).
 *
 * The result is a value: either the rule, or the reasons rgmanager would refuse (or silently skip) the
 * agent, each phrased so the person reading a failed test knows what to change.
 */
import { expandTime } from "./expand-time.js";
import { childElements, firstAt, parseXml, XmlSyntaxError, type XmlElement } from "./xml.js";

export interface RuleParameter {
  readonly name: string;
  readonly required: boolean;
  readonly primary: boolean;
  readonly unique: boolean;
  readonly reconfig: boolean;
  /** The inherit spec (`attr` or `type%attr`) when set; any non-empty value sets it. */
  readonly inherit?: string;
  /** `content/@default`; rgmanager exports it when the configuration leaves the parameter out. */
  readonly defaultValue?: string;
}

export interface RuleAction {
  readonly name: string;
  /** Seconds, via expand_time (0 when absent). */
  readonly timeout: number;
  /** Seconds, via expand_time; 0 (never scheduled) when absent; a present value below 1 becomes 1. */
  readonly interval: number;
  /** atoi(@depth) for status/monitor; always 0 for every other action. */
  readonly depth: number;
  /** The attributes as written, for checks on their form. */
  readonly raw: { readonly timeout?: string; readonly interval?: string; readonly depth?: string };
}

export interface RuleChild {
  readonly type: string;
  readonly start: number;
  readonly stop: number;
  readonly forbid: boolean;
}

export interface ResourceRule {
  readonly type: string;
  readonly maxInstances: number;
  readonly initOnAdd: boolean;
  readonly destroyOnDelete: boolean;
  readonly parameters: readonly RuleParameter[];
  readonly actions: readonly RuleAction[];
  readonly children: readonly RuleChild[];
}

export type RuleResult = { readonly ok: true; readonly rule: ResourceRule } | { readonly ok: false; readonly reasons: readonly string[] };

/** C atoi(): optional leading white space and sign, then digits; 0 when there are none. */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?[0-9]+)/.exec(s);
  return m ? Number.parseInt(m[1]!, 10) | 0 : 0;
}

/** xpath_get_one(): the first match's value, or undefined for a missing OR empty attribute. */
function attr(el: XmlElement | undefined, name: string): string | undefined {
  const v = el?.attributes.get(name);
  return v === undefined || v === "" ? undefined : v;
}

/** rgmanager's flag test: atoi() != 0, or the value starts with "y". */
function flag(el: XmlElement, name: string): boolean {
  const v = attr(el, name);
  return v !== undefined && (atoi(v) !== 0 || v.startsWith("y"));
}

function readParameter(p: XmlElement): RuleParameter | string {
  const name = attr(p, "name");
  if (name === undefined) return "a <parameter> has no name";
  const inherit = attr(p, "inherit");
  const defaultValue = attr(firstAt(p, "content"), "default");
  return {
    name,
    required: flag(p, "required"),
    primary: flag(p, "primary"),
    unique: flag(p, "unique"),
    reconfig: flag(p, "reconfig"),
    ...(inherit !== undefined ? { inherit } : {}),
    ...(defaultValue !== undefined ? { defaultValue } : {}),
  };
}

function readAction(a: XmlElement): RuleAction | string {
  const name = attr(a, "name");
  if (name === undefined) return "an <action> has no name";
  const raw = { timeout: attr(a, "timeout"), interval: attr(a, "interval"), depth: attr(a, "depth") };
  let interval = 0;
  if (raw.interval !== undefined) interval = Math.max(1, expandTime(raw.interval));
  const scheduledKind = name === "status" || name === "monitor";
  return {
    name,
    timeout: expandTime(raw.timeout),
    interval,
    depth: scheduledKind && raw.depth !== undefined ? atoi(raw.depth) : 0,
    raw: Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)),
  };
}

function readSpecial(root: XmlElement): Pick<ResourceRule, "maxInstances" | "initOnAdd" | "destroyOnDelete" | "children"> {
  const special = childElements(root, "special").find((s) => s.attributes.get("tag") === "rgmanager");
  const attributes = special === undefined ? undefined : childElements(special, "attributes")[0];
  const onUnlessZero = (name: string): boolean => {
    const v = attr(attributes, name);
    return v === undefined || atoi(v) !== 0;
  };
  const max = attr(attributes, "maxinstances");
  return {
    maxInstances: max === undefined ? 0 : Math.max(0, atoi(max)),
    initOnAdd: onUnlessZero("init_on_add"),
    destroyOnDelete: onUnlessZero("destroy_on_delete"),
    children: (special === undefined ? [] : childElements(special, "child")).flatMap((c) => {
      const type = attr(c, "type");
      if (type === undefined) return [];
      // rgmanager does not load the DTD: a missing start/stop is 0 ("no level"), not the DTD's 100/0.
      return [{ type, start: atoi(attr(c, "start") ?? "0"), stop: atoi(attr(c, "stop") ?? "0"), forbid: atoi(attr(c, "forbid") ?? "0") !== 0 }];
    }),
  };
}

/** `/resource-agent/<list>/<item>` in document order; none when the list element is missing. */
function childrenAt(root: XmlElement, list: string, item: string): XmlElement[] {
  const container = firstAt(root, list);
  return container === undefined ? [] : childElements(container, item);
}

/** Reads a parsed meta-data document the way rgmanager builds a resource rule from it. */
export function ruleFromDocument(root: XmlElement): RuleResult {
  const reasons: string[] = [];
  if (root.name !== "resource-agent") reasons.push(`the document element is <${root.name}>, rgmanager reads /resource-agent`);
  const type = attr(root, "name");
  if (type === undefined) reasons.push("/resource-agent/@name is missing or empty: rgmanager cannot name the type");
  else if (type.toLowerCase() === "action") reasons.push('the type name "action" is reserved by rgmanager');

  const parameters: RuleParameter[] = [];
  for (const p of childrenAt(root, "parameters", "parameter")) {
    const read = readParameter(p);
    if (typeof read === "string") reasons.push(read);
    else parameters.push(read);
  }
  const primaries = parameters.filter((p) => p.primary);
  if (primaries.length > 1) reasons.push(`Multiple primary definitions: ${primaries.map((p) => p.name).join(", ")} (rgmanager rejects the type)`);
  for (const p of parameters) {
    if (p.inherit !== undefined && (p.required || p.primary || p.unique)) {
      reasons.push(`parameter ${p.name}: Can not inherit and be primary, unique, or required (rgmanager rejects the type)`);
    }
  }

  const actions: RuleAction[] = [];
  for (const a of childrenAt(root, "actions", "action")) {
    const read = readAction(a);
    if (typeof read === "string") reasons.push(read);
    else actions.push(read);
  }

  if (reasons.length > 0 || type === undefined) return { ok: false, reasons };
  return { ok: true, rule: { type, parameters, actions, ...readSpecial(root) } };
}

/**
 * Parses meta-data text as rgmanager does (xmlParseMemory: nothing may precede `<?xml`, empty output
 * is refused) and reads the rule. A parse failure is one of the reasons: rgmanager would silently skip
 * the agent, and every resource of its type with everything nested under it (§1.3).
 */
export function ruleFromMetadata(text: string): RuleResult {
  if (text.length === 0) return { ok: false, reasons: ["meta-data output is empty: rgmanager silently skips the agent"] };
  try {
    return ruleFromDocument(parseXml(text));
  } catch (e) {
    if (e instanceof XmlSyntaxError) return { ok: false, reasons: [`meta-data does not parse (${e.message}): rgmanager silently skips the agent`] };
    throw e;
  }
}

/** The one primary parameter, which names instances (`OCF_RESOURCE_INSTANCE=<type>:<primary value>`). */
export function primaryParameter(rule: ResourceRule): RuleParameter | undefined {
  return rule.parameters.find((p) => p.primary);
}

/** rgmanager's action lookup: by name (case-insensitive) and depth. */
export function findAction(rule: ResourceRule, name: string, depth = 0): RuleAction | undefined {
  return rule.actions.find((a) => a.name.toLowerCase() === name.toLowerCase() && a.depth === depth);
}
