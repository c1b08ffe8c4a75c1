"""yamori: the command-line front door and the pieces shared by agent and collector.

Owns the `yamori` console command (cli.py), the demo (demo.py) and the error
hierarchy (errors.py). It does not own any pipeline stage: those live in
`agent/`, `uplink/` and `collector/`.
"""

__version__ = "0.1.0"
