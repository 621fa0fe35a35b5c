"""The REST API (Django REST framework) that mobile and web apps call."""
