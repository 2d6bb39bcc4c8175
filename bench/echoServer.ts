/** Baseline for bench:ingest: Express 5 + express.json() answering 201 with a small JSON body. */
import express from 'express';

const app = express();
app.use(express.json({ limit: '10mb' }));
app.get('/healthz', (_req, res) => {
  res.json({ ok: true });
});
app.post('/echo', (req, res) => {
  res.status(201).json({ id: 'x', model: (req.body as { model?: string }).model ?? null });
});
app.listen(Number(process.env.PORT), '127.0.0.1');
