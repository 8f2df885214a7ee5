import json
import os

import jsonschema
import ray
import yaml

from tests.conftest import ROOT


def test_cluster_yaml_fits_rays_cluster_schema():
    schema = json.loads(open(os.path.join(os.path.dirname(ray.__file__), "autoscaler", "ray-schema.json")).read())
    config = yaml.safe_load((ROOT / "cluster.yaml").read_text())
    jsonschema.validate(config, schema)
    assert config["available_node_types"]["a100_worker"]["resources"]["GPU"] == 1
    assert any("scripts/install.sh gpu" in cmd for cmd in config["setup_commands"])
