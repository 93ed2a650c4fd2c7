import os, secrets, sys  # noqa: E401, I001 (one line: the example stays under 20)

import uvicorn
from fastapi import FastAPI

from nitro import Entity
from nitro.adapters.fastapi import mount
from nitro.admin import Admin, AdminUser, PasswordAuth, hash_password


class Product(Entity):
    name: str
    price: float = 0.0
    in_stock: bool = True


password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(9)
users = [AdminUser("admin", hash_password(password), is_superuser=True)]
admin = Admin(auth=PasswordAuth(users), secret_key=secrets.token_urlsafe(32))
admin.register(Product, list_filter=["in_stock", "price"], search_fields=["name"])
mount(app := FastAPI(), admin)

if __name__ == "__main__":
    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 8000
    print(f"http://127.0.0.1:{port}/admin  user: admin  password: {password}", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port)
