"""A notebook session in script form: build the bundled graph and ask the main questions.

Run it as `python docs/examples/notebook.py` (it uses $KG_HOME, or the default data directory),
or paste the cells into Jupyter. The tests run this file.
"""

# %% Open the embedded store (started on demand) and build the bundled, cited snapshot.
import kg

g = kg.open_store()
report = g.build(offline=True)
print(f"built {report.nodes:,} nodes and {report.relationships:,} relationships")

# %% How concentrated is rare-earth supply at each stage?
for row in g.query("concentration", material="rare-earths"):
    print(f"{row['stage']:<11} {row['year']}  top: {row['top_country']:<8} "
          f"{row['top_share'] * 100:5.1f} %   HHI {row['hhi']:,.0f}")

# %% Your own read-only Cypher, with parameters (never string formatting).
rows = g.cypher("MATCH (c:Country {id: $id})-[p:PRODUCES]->(m:Material) "
                "RETURN m.name AS material, p.stage AS stage, p.share AS share "
                "ORDER BY share DESC LIMIT 5", id="country:CHN")
print(rows[:2])

# %% With pandas installed (pip install 'chokepoint-kg[pandas]'), rows become a DataFrame.
try:
    df = g.query("concentration", stage="mining").df()
    print(df[["material", "top_country", "top_share", "hhi"]].head())
except ImportError as exc:
    print(exc)
