/**
 * Our own re-implementation of what RHEL 6's ra2rng.xsl and ra2ref.xsl produce for one agent's
 * meta-data (the stylesheets are not available and are not copied; the rules are the contract
 * reference §2.3). ccs_update_schema pipes each agent's `meta-data` through them and pastes the text
 * into cluster.rng: ra2rng's output between resources.rng.head and .mid, ra2ref's between .mid and .tail.
 *
 * Faithful on purpose, including the sharp edges, because the tests exist to prove our meta-data
 * avoids them:
 * - the stylesheets emit TEXT: names and normalize-space(shortdesc) are written without any escaping,
 *   so a `"`, `&` or `<` in a shortdesc yields a schema that does not parse;
 * - define name = translate(@name, '_abc…z', '-ABC…Z'): names differing only in case or `_`/`-`
 *   collide;
 * - `@required = 1 or @primary = 1` is an XPath numeric comparison: "1" and "1.0" are mandatory,
 *   "yes"/"true" are optional (although rgmanager itself reads "yes" as set);
 * - a document the stylesheet processor cannot parse contributes nothing (ccs_update_schema discards
 *   errors), a root other than <resource-agent> falls to XSLT's built-in rules, which copy its text.
 */
import { childElements, firstChild, normalizeSpace, parseXml, stringValue, XmlSyntaxError, type XmlElement } from "./xml.js";

/** The RHEL6 stylesheet's special attributes, optional on every resource element. */
export const SPECIAL_ATTRIBUTES: ReadonlyArray<readonly [string, string]> = [
  ["__independent_subtree", "Treat this and all children as an independent subtree."],
  ["__enforce_timeouts", "Consider a timeout for operations as fatal."],
  ["__max_failures", "Maximum number of status check failures before restart."],
  ["__failure_expire_time", "Amount of time before a failure is forgotten."],
  ["__max_restarts", "Maximum number restarts for an independent subtree before giving up."],
  ["__restart_expire_time", "Amount of time before a failure is forgotten for an independent subtree."],
];

/** XPath translate(@name, '_abcdefghijklmnopqrstuvwxyz', '-ABCDEFGHIJKLMNOPQRSTUVWXYZ'). */
export function defineName(agentName: string): string {
  return agentName.replace(/[_a-z]/g, (c) => (c === "_" ? "-" : c.toUpperCase()));
}

/** XPath number() of a string: optional white space, optional minus, digits with an optional fraction. */
export function xpathNumber(s: string): number {
  return /^[ \t\r\n]*-?([0-9]+(\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*$/.test(s) ? Number(s.trim()) : Number.NaN;
}

/** `@name = 1` in XPath: false when the attribute is absent, else number(value) = 1. */
function attributeEqualsOne(el: XmlElement, name: string): boolean {
  const v = el.attributes.get(name);
  return v !== undefined && xpathNumber(v) === 1;
}

/** xsl:value-of select="normalize-space(shortdesc)": the FIRST shortdesc child, whatever its lang. */
function shortdescOf(el: XmlElement): string {
  const first = firstChild(el, "shortdesc");
  return normalizeSpace(first === undefined ? "" : stringValue(first));
}

function parameterLines(agent: XmlElement): string[] {
  const lines: string[] = [];
  for (const parameters of childElements(agent, "parameters")) {
    for (const p of childElements(parameters, "parameter")) {
      const attribute = `<attribute name="${p.attributes.get("name") ?? ""}" rha:description="${shortdescOf(p)}"/>`;
      if (attributeEqualsOne(p, "required") || attributeEqualsOne(p, "primary")) {
        lines.push(`          ${attribute}`);
      } else {
        lines.push("          <optional>", `            ${attribute}`, "          </optional>");
      }
    }
  }
  return lines;
}

type Parsed = { readonly kind: "agent"; readonly root: XmlElement } | { readonly kind: "other"; readonly root: XmlElement } | { readonly kind: "unparseable" };

function parse(metadata: string): Parsed {
  try {
    const root = parseXml(metadata);
    return root.name === "resource-agent" ? { kind: "agent", root } : { kind: "other", root };
  } catch (e) {
    if (e instanceof XmlSyntaxError) return { kind: "unparseable" };
    throw e;
  }
}

/** ra2rng.xsl applied to one agent's meta-data: its `<define>` for the resources section. */
export function ra2rng(metadata: string): string {
  const parsed = parse(metadata);
  if (parsed.kind === "unparseable") return "";
  if (parsed.kind === "other") return stringValue(parsed.root);
  const agent = parsed.root;
  const name = agent.attributes.get("name") ?? "";
  return [
    `  <define name="${defineName(name)}">`,
    `    <element name="${name}" rha:description="${shortdescOf(agent)}">`,
    "      <choice>",
    "        <group>",
    "          <!-- rgmanager specific stuff -->",
    `          <attribute name="ref" rha:description="Reference to existing ${name} resource in the resources section."/>`,
    "        </group>",
    "        <group>",
    ...parameterLines(agent),
    "        </group>",
    "      </choice>",
    ...SPECIAL_ATTRIBUTES.flatMap(([attribute, description]) => [
      "      <optional>",
      `        <attribute name="${attribute}" rha:description="${description}"/>`,
      "      </optional>",
    ]),
    "      <optional>",
    '        <ref name="CHILDREN"/>',
    "      </optional>",
    "    </element>",
    "  </define>",
    "",
  ].join("\n");
}

/** ra2ref.xsl applied to one agent's meta-data: its entry in the shared CHILDREN choice. */
export function ra2ref(metadata: string): string {
  const parsed = parse(metadata);
  if (parsed.kind === "unparseable") return "";
  if (parsed.kind === "other") return stringValue(parsed.root);
  return `      <ref name="${defineName(parsed.root.attributes.get("name") ?? "")}"/>\n`;
}
