// Oracle CLI: evaluates every case of a file with the schema of ../shared/oracle/pate_reference_cases.json with
// @conclave/dp and prints one line per mismatch (`case id, field, expected, got`), then exactly one summary line
// `oracle: N passed, M failed, K unsupported` where N, M, K count CASES (a case passes only if all its fields
// match). Exit status 0 only when M = K = 0. Usage: npm run -s dp:oracle -- <file>
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { evaluateOracleFile, formatOracleMismatch, formatOracleSummary } from '@conclave/dp';

const DEFAULT_FILE = '../shared/oracle/pate_reference_cases.json';

function main(argv: readonly string[]): number {
  const file = resolve(process.cwd(), argv[0] ?? DEFAULT_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    process.stderr.write(`dp-oracle: cannot read ${file}: ${(e as Error).message}\n`);
    return 2;
  }
  let report: ReturnType<typeof evaluateOracleFile>;
  try {
    report = evaluateOracleFile(parsed);
  } catch (e) {
    process.stderr.write(`dp-oracle: ${file} is not an oracle file: ${(e as Error).message}\n`);
    return 2;
  }
  const lines = report.mismatches.map(formatOracleMismatch);
  lines.push(formatOracleSummary(report));
  process.stdout.write(lines.join('\n') + '\n');
  return report.failed === 0 && report.unsupported === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
