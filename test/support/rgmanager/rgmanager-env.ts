/**
 * The exact environment rgmanager gives an agent for one action (restree.c build_env + add_ocf_stuff,
 * contract reference §1.3-§1.4), computed from the agent's own meta-data rule and one resource instance
 * as written in cluster.conf. Nothing is inherited: no PATH, HOME or LANG.
 *
 * Also models rgmanager's action gate: an action that the meta-data does not declare (by name,
 * case-insensitive, and depth) is never run and counts as success.
 */
import { findAction, primaryParameter, type ResourceRule, type RuleAction } from "./resource-rules.js";

export const RGMANAGER_OCF_ROOT = "/usr/share/cluster";

export interface ResourceInstance {
  /** The element's attributes in cluster.conf. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Resolves an inherit spec (`attr` or `type%attr`) against the tree; absent = unresolved. */
  readonly inherit?: (spec: string) => string | undefined;
  /** `__enforce_timeouts="1"` on this element: the timeout variable is then 0. */
  readonly enforceTimeouts?: boolean;
  /** Other incarnations of this resource on the host (3.1.8 counting); 0 for a lone resource. */
  readonly refcnt?: number;
}

export type ParameterValues = { readonly ok: true; readonly values: ReadonlyMap<string, string> } | { readonly ok: false; readonly reason: string };

/**
 * The values rgmanager stores for each parameter (reslist.c load_resource): configured value, else the
 * resolved inherit spec, else the meta-data default. A missing required or primary attribute means the
 * resource does not exist at all for rgmanager.
 */
export function parameterValues(rule: ResourceRule, instance: ResourceInstance): ParameterValues {
  const values = new Map<string, string>();
  for (const p of rule.parameters) {
    const configured = instance.attributes[p.name];
    if (configured !== undefined && configured !== "") {
      values.set(p.name, configured);
      continue;
    }
    if (p.required || p.primary) {
      return { ok: false, reason: `<${rule.type}> lacks ${p.primary ? "primary" : "required"} attribute ${p.name}: rgmanager treats the element as not existing and silently skips it and its later siblings` };
    }
    if (p.inherit !== undefined) {
      const inherited = instance.inherit?.(p.inherit);
      if (inherited !== undefined) values.set(p.name, inherited);
    } else if (p.defaultValue !== undefined) {
      values.set(p.name, p.defaultValue);
    }
  }
  return { ok: true, values };
}

export type ActionEnvironment =
  | { readonly run: true; readonly action: RuleAction; readonly env: Readonly<Record<string, string>> }
  | { readonly run: false; readonly reason: string };

/** The environment for `<agent> <action>` at this depth, or why rgmanager would not run it at all. */
export function actionEnvironment(rule: ResourceRule, instance: ResourceInstance, actionName: string, depth = 0): ActionEnvironment {
  const action = findAction(rule, actionName, depth);
  if (action === undefined) {
    return { run: false, reason: `${actionName} (depth ${depth}) is not declared in ${rule.type}'s meta-data: rgmanager skips it and counts it as success` };
  }
  const values = parameterValues(rule, instance);
  if (!values.ok) return { run: false, reason: values.reason };
  const primary = primaryParameter(rule);
  const primaryValue = primary === undefined ? "" : values.values.get(primary.name) ?? "";
  const env: Record<string, string> = {};
  for (const [name, value] of values.values) env[`OCF_RESKEY_${name}`] = value;
  env.OCF_RA_VERSION_MAJOR = "1";
  env.OCF_RA_VERSION_MINOR = "0";
  env.OCF_ROOT = RGMANAGER_OCF_ROOT;
  env.OCF_RESOURCE_INSTANCE = `${rule.type}:${primaryValue}`;
  env.OCF_RESOURCE_TYPE = rule.type;
  env.OCF_CHECK_LEVEL = String(actionName.toLowerCase() === "status" ? depth : 0);
  env.OCF_RESKEY_RGMANAGER_meta_refcnt = String(instance.refcnt ?? 0);
  env.OCF_RESKEY_RGMANAGER_meta_timeout = String(instance.enforceTimeouts === true ? 0 : action.timeout);
  return { run: true, action, env };
}
