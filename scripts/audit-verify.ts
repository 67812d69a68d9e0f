import 'reflect-metadata';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/database';
import { exitWith } from '../src/db/exit-with';
import { AuditQueryService } from '../src/modules/audit/audit-query.service';

/** The name that stands for the platform security log among the chains to check. */
const SECURITY = 'security';

/**
 * `npm run audit:verify [teamId | security ...]`: walks the hash chain of every team, of the
 * platform and of the security log (or of the chains named), prints one line per chain, and
 * exits 1 if any chain is broken.
 * Uses DATABASE_URL, or the embedded database in DATA_DIR when the service is not running.
 */
async function main(): Promise<number> {
  const config = loadConfig();
  const database = await openDatabase(config, (line) => console.error(line));
  try {
    const query = new AuditQueryService(database.dataSource);
    const named = process.argv.slice(2);
    const teams: (string | null)[] = named.length
      ? named
      : [null, ...(await database.dataSource.query(`SELECT id FROM teams ORDER BY created_at`)).map((r: { id: string }) => r.id), SECURITY];
    let broken = 0;
    for (const teamId of teams) {
      const report = teamId === SECURITY ? await query.verifySecurityLog() : await query.verifyChain(teamId);
      const name = teamId === SECURITY ? 'security log' : (teamId ?? 'platform');
      if (report.valid) {
        console.log(`ok      ${name}: ${report.checkedEvents} events`);
      } else {
        broken++;
        console.log(
          `BROKEN  ${name}: at position ${report.firstBrokenPosition ?? '?'}` +
            `${report.firstBrokenEventId ? ` (event ${report.firstBrokenEventId})` : ''}: ${report.reason}`,
        );
      }
    }
    console.log(broken ? `${broken} of ${teams.length} chains broken` : `all ${teams.length} chains intact`);
    return broken ? 1 : 0;
  } finally {
    await database.close();
  }
}

exitWith(main);
