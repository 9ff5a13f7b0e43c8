// node-postgres against the endpoint: a parameterised query (extended protocol) and a time-travel query.
// Arguments: port database user password. Prints JSON lines.
const { Client } = require('pg');

async function main() {
  const [port, database, user, password] = process.argv.slice(2);
  const client = new Client({ host: '127.0.0.1', port: Number(port), database, user, password, connectionTimeoutMillis: 10000 });
  await client.connect();
  try {
    const north = await client.query('SELECT count(*)::INTEGER AS n, sum(revenue) AS total FROM gold.daily_revenue WHERE region = $1 AND orders >= $2', ['north', 5]);
    console.log(JSON.stringify(north.rows));
    const old = await client.query('SELECT region FROM gold.daily_revenue AT (VERSION => 0) ORDER BY region');
    console.log(JSON.stringify(old.rows));
    const typed = await client.query('SELECT id, paid, placed_at FROM silver.orders WHERE id = $1', [2]);
    console.log(JSON.stringify(typed.rows));
  } finally {
    await client.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
