/**
 * Who runs the cluster service: Pacemaker (`crm_mon --one-shot --output-as=xml`, falling back to the
 * older `crm_mon --one-shot --as-xml`) or rgmanager (`clustat -x`), whichever is installed. Both are
 * read-only queries, run through the Runner under a deadline.
 *
 * The crm_mon parser is tested on real crm_mon 2.1.5 output (captures/pacemaker-2.1.5). The clustat
 * parser follows the documented `clustat -x` shape; no real capture exists yet, so it is untested.
 */
import { describeResult, succeeded, type Runner } from "../../agents/system/command.js";

export interface ServiceOwner {
  readonly manager: "pacemaker" | "rgmanager";
  /** Group or service name (rgmanager: "service:clusvc"). */
  readonly service: string;
  /** Node(s) where it runs; empty when stopped. */
  readonly nodes: readonly string[];
  readonly state: string;
}

export type OwnerResult =
  | { readonly ok: true; readonly owners: readonly ServiceOwner[]; readonly manager: "pacemaker" | "rgmanager" }
  | { readonly ok: false; readonly reason: string };

const attr = (tag: string, name: string): string | undefined => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m?.[1];
};

/** Resources and groups from crm_mon XML: a group's owner is where its resources are started. */
export function parseCrmMonXml(xml: string): ServiceOwner[] {
  const out: ServiceOwner[] = [];
  const resourcesSection = /<resources>([\s\S]*?)<\/resources>/.exec(xml)?.[1] ?? "";
  const groupRe = /<group\s[^>]*>([\s\S]*?)<\/group>/g;
  const resourceNodes = (body: string): { nodes: string[]; roles: string[] } => {
    const nodes: string[] = [];
    const roles: string[] = [];
    const resRe = /<resource\s([^>]*?)(\/>|>([\s\S]*?)<\/resource>)/g;
    for (const r of body.matchAll(resRe)) {
      const role = attr(` ${r[1]}`, "role");
      if (role !== undefined) roles.push(role);
      for (const n of (r[3] ?? "").matchAll(/<node\s([^>]*?)\/>/g)) {
        const name = attr(` ${n[1]}`, "name");
        if (name !== undefined && role === "Started") nodes.push(name);
      }
    }
    return { nodes, roles };
  };
  for (const g of resourcesSection.matchAll(groupRe)) {
    const id = attr(g[0].slice(0, g[0].indexOf(">")), "id") ?? "?";
    const { nodes, roles } = resourceNodes(g[1] ?? "");
    const uniq = [...new Set(nodes)];
    out.push({ manager: "pacemaker", service: id, nodes: uniq, state: roles.every((r) => r === "Started") && roles.length > 0 ? "started" : roles.join(",") || "unknown" });
  }
  if (out.length === 0) {
    for (const r of resourcesSection.matchAll(/<resource\s([^>]*?)(\/>|>([\s\S]*?)<\/resource>)/g)) {
      const id = attr(` ${r[1]}`, "id") ?? "?";
      const role = attr(` ${r[1]}`, "role") ?? "unknown";
      const nodes = [...(r[3] ?? "").matchAll(/<node\s([^>]*?)\/>/g)].map((n) => attr(` ${n[1]}`, "name")).filter((n): n is string => n !== undefined);
      out.push({ manager: "pacemaker", service: id, nodes: role === "Started" ? nodes : [], state: role.toLowerCase() });
    }
  }
  return out;
}

/** The message and errors crm_mon puts in its XML when it fails (e.g. rc 102 "Not connected"). */
export function crmMonProblem(xml: string): string | undefined {
  const status = /<status\s([^>]*?)\/?>/.exec(xml);
  if (status === null) return undefined;
  const message = attr(` ${status[1]}`, "message");
  const errors = [...xml.matchAll(/<error>([^<]*)<\/error>/g)].map((m) => m[1]).filter(Boolean);
  if (message === undefined && errors.length === 0) return undefined;
  return [message, ...errors].filter(Boolean).join(": ");
}

/** Services from `clustat -x`: <group name="service:clusvc" state_str="started" owner="pmsapp1" .../> */
export function parseClustatXml(xml: string): ServiceOwner[] {
  const groups = /<groups>([\s\S]*?)<\/groups>/.exec(xml)?.[1] ?? "";
  return [...groups.matchAll(/<group\s([^>]*?)\/?>/g)].map((g) => {
    const tag = ` ${g[1]}`;
    const owner = attr(tag, "owner");
    const state = attr(tag, "state_str") ?? "unknown";
    return { manager: "rgmanager" as const, service: attr(tag, "name") ?? "?", nodes: owner === undefined || owner === "none" || state !== "started" ? [] : [owner], state };
  });
}

export async function clusterOwners(runner: Runner, timeoutMs = 5000): Promise<OwnerResult | undefined> {
  const crm = await runner.run("crm_mon", ["--one-shot", "--output-as=xml"], { timeoutMs });
  if (crm.failedToStart === undefined) {
    let r = crm;
    if (!succeeded(r) && r.exitCode === 64) r = await runner.run("crm_mon", ["--one-shot", "--as-xml"], { timeoutMs });
    if (!succeeded(r)) return { ok: false, reason: `Pacemaker: ${crmMonProblem(r.stdout) ?? describeResult(r)}` };
    return { ok: true, manager: "pacemaker", owners: parseCrmMonXml(r.stdout) };
  }
  const clustat = await runner.run("clustat", ["-x"], { timeoutMs });
  if (clustat.failedToStart === undefined) {
    if (!succeeded(clustat)) return { ok: false, reason: `rgmanager: ${describeResult(clustat)}` };
    return { ok: true, manager: "rgmanager", owners: parseClustatXml(clustat.stdout) };
  }
  return undefined;
}
