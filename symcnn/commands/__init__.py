"""The subcommands of :mod:`symcnn.cli` beyond ``report``: each module adds its parsers and runs them."""
