"""Writes ../model-store/echo.mar the way `torch-model-archiver --model-name echo --version 1.0
--handler handler.py` does (a zip with MAR-INF/MANIFEST.json and the handler), without needing
PyTorch or TorchServe installed. Deterministic: fixed timestamps, so the file only changes with
the handler."""
import json
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "model-store", "echo.mar")
FIXED = (2000, 1, 1, 0, 0, 0)

manifest = {
    "createdOn": "01/01/2000 00:00:00",
    "runtime": "python",
    "model": {"modelName": "echo", "handler": "handler.py", "modelVersion": "1.0"},
    "archiverVersion": "0.12.0",
}

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with zipfile.ZipFile(OUT, "w", zipfile.ZIP_DEFLATED) as mar:
    mar.writestr(zipfile.ZipInfo("MAR-INF/MANIFEST.json", FIXED), json.dumps(manifest, indent=4) + "\n")
    with open(os.path.join(HERE, "handler.py"), "rb") as f:
        mar.writestr(zipfile.ZipInfo("handler.py", FIXED), f.read())
print("wrote " + os.path.normpath(OUT))
