"""Front-ends: each renders handlers' Replies on one platform. New platform, new module here."""
