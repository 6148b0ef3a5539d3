// Replaces the generated part of a Markdown file between `<!-- bench:NAME:start -->` and
// `<!-- bench:NAME:end -->`, keeping the hand-written text around it (appends the markers if absent).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export function writeSection(file, name, body) {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const block = `${start}\n${body.trim()}\n${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  const next =
    i >= 0 && j > i
      ? text.slice(0, i) + block + text.slice(j + end.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}
