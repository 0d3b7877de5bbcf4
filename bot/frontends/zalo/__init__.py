"""The Zalo Bot Platform front-end's transport: the API client (client.py) and receiving updates by long
polling or webhook (receive.py)."""
