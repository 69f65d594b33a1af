import Fastify from 'fastify';

/**
 * The floor of the HTTP benchmark: Fastify on this Node, parsing the same JSON bodies on the same route and answering
 * 202 with a body of the same shape, but validating and storing nothing. Run as `node dist/bench/fastify-floor.js
 * <port>`; it shows how much of a request's cost is Node's HTTP stack rather than OpsAgent's work.
 */
const port = Number(process.argv[2]);
const app = Fastify({ logger: false, bodyLimit: 1_048_576 });
app.post('/api/v1/alerts', async (request, reply) => {
  const n = Array.isArray(request.body) ? request.body.length : 1;
  const results = Array.from({ length: n }, () => ({ outcome: 'fired', issue_id: 'issue-0', status: 'open', alert_count: 1 }));
  return reply.code(202).send({ accepted: n, results });
});
app.get('/healthz', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
