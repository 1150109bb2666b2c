# Run through `odoo-bin shell` by setup/create_db.sh: loads the demo data of our addons
# only (Odoo core demo data would put the generic chart on the main company).
# ruff: noqa: F821  (`env` is provided by odoo-bin shell)
import os

from odoo.modules.loading import load_demo
from odoo.modules.module_graph import ModuleGraph

ours = os.environ["ODOO_ADDONS"].split()
env.cr.execute("SELECT name FROM ir_module_module WHERE state = 'installed'")
graph = ModuleGraph(env.cr, mode="load")
graph.extend(
    [name for (name,) in env.cr.fetchall()]
)  # a module's depends must be in the graph
loaded = [package.name for package in graph if package.name in ours]
if sorted(loaded) != sorted(ours):
    raise SystemExit(f"not installed: {sorted(set(ours) - set(loaded))}")
env.cr.execute("UPDATE ir_module_module SET demo = TRUE WHERE name = ANY(%s)", [ours])
for package in graph:
    if package.name in ours and not load_demo(env, package, {}, "init"):
        raise SystemExit(f"demo data of {package.name} failed to load")
env.cr.commit()
print("DEMO LOADED", flush=True)
