"""The data the templates lay out, computed and tested in Python.

One module per concern (alarms, network, functions, ...). Each takes the region's `Site` and
returns plain frozen dataclasses; `region_model` gathers them for one regional template. The
templates only iterate over this data and spell it as YAML; samconfig's parameter defaults come
from `parameters`, the same data the templates' Parameters sections lay out.
"""

from __future__ import annotations

from dataclasses import dataclass

from payinfra.config.model import Context
from payinfra.model.alarms import Monitoring, monitoring
from payinfra.model.backup import Backup, backup
from payinfra.model.config import Config, config
from payinfra.model.containers import Containers, containers
from payinfra.model.data import Data, data
from payinfra.model.edge import Edge, edge
from payinfra.model.functions import Functions, functions
from payinfra.model.network import Network, network
from payinfra.model.peering import declare_flows
from payinfra.model.site import Site, site
from payinfra.model.storage import Storage, storage


@dataclass(frozen=True)
class RegionModel:
    """Everything computed for one regional template."""

    site: Site
    network: Network
    functions: Functions
    containers: Containers
    edge: Edge
    storage: Storage
    config: Config
    data: Data
    monitoring: Monitoring
    backup: Backup


def region_model(ctx: Context, region: str) -> RegionModel:
    """The model of one region's template, by region NAME (several secondaries share a role)."""
    here = site(ctx, region)
    return RegionModel(
        site=here,
        network=network(here, declare_flows(ctx)),
        functions=functions(here),
        containers=containers(here),
        edge=edge(here),
        storage=storage(here),
        config=config(here),
        data=data(here),
        monitoring=monitoring(here),
        backup=backup(here),
    )
