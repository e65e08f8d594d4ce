/**
 * The one configuration file format of pmsapp (/etc/pmsapp/*.conf): sysconfig-like `key = value` lines.
 * `#` starts a comment line; values may be wrapped in double quotes; nothing is ever evaluated by a
 * shell. Keys are lower-case words with `_`. Parsing never throws: problems come back as values with the
 * line number, so a caller can refuse the file with a message an operator can act on.
 */
export type KvParseResult =
  | { readonly ok: true; readonly values: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly errors: readonly string[] };

const LINE = /^([a-z][a-z0-9_]*)\s*=\s*(.*)$/;

export function parseKvFile(text: string, fileName = "config"): KvParseResult {
  const values: Record<string, string> = {};
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const where = `${fileName}:${index + 1}`;
    if (line === "" || line.startsWith("#")) return;
    const m = LINE.exec(line);
    if (m === null) {
      errors.push(`${where}: expected 'key = value', got '${line.slice(0, 60)}'`);
      return;
    }
    const key = m[1] as string;
    let value = (m[2] as string).trim();
    if (value.startsWith('"')) {
      if (value.length < 2 || !value.endsWith('"')) {
        errors.push(`${where}: unterminated quoted value for '${key}'`);
        return;
      }
      value = value.slice(1, -1);
    }
    if (Object.prototype.hasOwnProperty.call(values, key)) {
      errors.push(`${where}: '${key}' is set twice`);
      return;
    }
    values[key] = value;
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, values };
}
