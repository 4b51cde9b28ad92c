import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const HEADER =
  '# Benchmarks\n\nFigures recorded by the benchmark scripts; each section is replaced when its script runs again.\n';

/**
 * Replaces the section between `<!-- <name>:start -->` and `<!-- <name>:end -->` of docs/benchmarks.md (or appends
 * it); `section` must start and end with those markers.
 */
export function writeBenchmarkSection(name: string, section: string): string {
  const docPath = resolve(process.cwd(), 'docs/benchmarks.md');
  let doc: string;
  try {
    doc = readFileSync(docPath, 'utf8');
  } catch {
    doc = HEADER;
  }
  const re = new RegExp(`<!-- ${name}:start -->[\\s\\S]*?<!-- ${name}:end -->`);
  doc = re.test(doc) ? doc.replace(re, () => section) : `${doc.trimEnd()}\n\n${section}\n`;
  mkdirSync(dirname(docPath), { recursive: true });
  writeFileSync(docPath, doc.endsWith('\n') ? doc : `${doc}\n`);
  return docPath;
}
