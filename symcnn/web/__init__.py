"""The playground: a static web page that runs symcnn itself in the browser (Pyodide).

``python -m symcnn.web build OUT`` assembles the site (:mod:`symcnn.web.build`,
with the bytecode of :mod:`symcnn.web.bytecode`); the page's Python is
:mod:`symcnn.web.derive`, its static files are in ``static/``. Nothing in
symcnn's core imports this package.
"""
