"""SQLAlchemy over psycopg2 against the endpoint: the inspector calls Superset makes, then a bound query.

Arguments: port database user password. Prints one line per fact.
"""
import sys

import sqlalchemy as sa

port, database, user, password = sys.argv[1:5]
engine = sa.create_engine(f"postgresql+psycopg2://{user}:{password}@127.0.0.1:{port}/{database}", connect_args={"connect_timeout": 10})
inspector = sa.inspect(engine)
print("schemas", ",".join(sorted(s for s in inspector.get_schema_names() if s in ("gold", "silver"))))
print("tables", ",".join(inspector.get_table_names(schema="gold")))
print("columns", ",".join(f"{c['name']}:{c['type']}" for c in inspector.get_columns("daily_revenue", schema="gold")))
key = inspector.get_pk_constraint("daily_revenue", schema="gold")
print("pk", key["name"], key["constrained_columns"])
print("orders pk", inspector.get_pk_constraint("orders", schema="silver")["constrained_columns"])
with engine.connect() as connection:
    count = connection.execute(sa.text("SELECT count(*) FROM gold.daily_revenue WHERE region = :region"), {"region": "north"}).scalar()
    print("count", count)
