/**
 * The order in which rgmanager starts and stops the resources of one service (restree.c build_tree,
 * _res_op_by_level, contract reference §1.9), so a test can show what nesting buys: a parent starts
 * before its children and stops after them, typed children follow the parent's <special><child> levels,
 * everything else runs in document order (reverse on stop), unknown elements vanish with their subtree.
 */
import { primaryParameter, type ResourceRule } from "./resource-rules.js";
import { childElements, parseXml, type XmlElement } from "./xml.js";

interface Node {
  readonly label: string;
  readonly rule: ResourceRule;
  readonly children: readonly Node[];
}

const MAX_LEVEL = 100;

function labelOf(el: XmlElement, rule: ResourceRule): string {
  const primary = primaryParameter(rule);
  const value = (primary === undefined ? undefined : el.attributes.get(primary.name)) ?? el.attributes.get("ref") ?? "";
  return `${rule.type}:${value}`;
}

/** build_tree: typed children in the order of the parent's <child> declarations, then the rest. */
function buildNode(el: XmlElement, rules: ReadonlyMap<string, ResourceRule>): Node | undefined {
  const rule = rules.get(el.name);
  if (rule === undefined) return undefined; // no rule: skipped together with its whole subtree
  const elements = childElements(el).filter((c) => c.name !== "action");
  const declared = new Set(rule.children.map((c) => c.type));
  const ordered: XmlElement[] = [];
  for (const c of rule.children) if (!c.forbid) ordered.push(...elements.filter((e) => e.name === c.type));
  ordered.push(...elements.filter((e) => !declared.has(e.name)));
  const children = ordered.map((e) => buildNode(e, rules)).filter((n): n is Node => n !== undefined);
  return { label: labelOf(el, rule), rule, children };
}

function levels(parent: ResourceRule, child: Node): { start: number; stop: number } {
  const c = parent.children.find((x) => x.type === child.rule.type);
  return { start: c?.start ?? 0, stop: c?.stop ?? 0 };
}

function start(node: Node, out: string[]): void {
  out.push(node.label);
  for (let level = 1; level <= MAX_LEVEL; level++) for (const c of node.children) if (levels(node.rule, c).start === level) start(c, out);
  for (const c of node.children) {
    const l = levels(node.rule, c);
    if (l.start === 0 && l.stop === 0) start(c, out);
  }
}

function stop(node: Node, out: string[]): void {
  for (const c of [...node.children].reverse()) {
    const l = levels(node.rule, c);
    if (l.start === 0 && l.stop === 0) stop(c, out);
  }
  for (let level = 1; level <= MAX_LEVEL; level++) for (const c of node.children) if (levels(node.rule, c).stop === level) stop(c, out);
  out.push(node.label);
}

/** Start and stop order of `<service name=…>` in this cluster.conf, labelled `type:primary`. */
export function serviceOrder(clusterConf: string, rules: readonly ResourceRule[], serviceName: string): { start: string[]; stop: string[] } {
  const byType = new Map(rules.map((r) => [r.type, r]));
  const rm = childElements(parseXml(clusterConf), "rm")[0];
  const service = rm === undefined ? undefined : childElements(rm, "service").find((s) => s.attributes.get("name") === serviceName);
  if (service === undefined) throw new Error(`cluster.conf has no <service name="${serviceName}">`);
  const tree = buildNode(service, byType);
  if (tree === undefined) throw new Error("no rule for <service>: load the stock service agent's meta-data");
  const order = { start: [] as string[], stop: [] as string[] };
  start(tree, order.start);
  stop(tree, order.stop);
  return order;
}
