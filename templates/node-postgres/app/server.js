// A visit counter in PostgreSQL: the platform links the database and sets DATABASE_URL; the table is made on start.
const http = require('node:http');
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
pool.on('error', () => undefined); // a restarted database drops idle clients; the pool reconnects
const ready = pool.query('CREATE TABLE IF NOT EXISTS visits (id serial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())');

http
  .createServer(async (req, res) => {
    if (req.url !== '/') return res.writeHead(404).end('not found\n');
    try {
      await ready;
      await pool.query('INSERT INTO visits DEFAULT VALUES');
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM visits');
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`${process.env.GREETING || 'hello'}: visit ${rows[0].n}\n`);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`database error: ${err.message}\n`);
    }
  })
  .listen(Number(process.env.PORT) || 5000);
