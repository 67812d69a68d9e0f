import http from 'node:http';

/**
 * The median latency (ms) of one request per credentials, sent one after another on one kept-alive
 * connection: each is the first use of its key (nothing cached yet), so each pays the lookup.
 * Sequential, so the load generator is never the limit and the figure is the path's own latency.
 */
export async function coldLatency(url: string, authorizations: string[]): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  try {
    for (const authorization of authorizations) {
      const started = process.hrtime.bigint();
      const status = await get(url, authorization, agent);
      if (status !== 200) throw new Error(`cold request to ${url} answered ${status}`);
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  } finally {
    agent.destroy();
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)] * 100) / 100;
}

function get(url: string, authorization: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { authorization } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}
