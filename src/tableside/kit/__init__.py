"""Shared building blocks: schemas, pagination, repositories, money and business time."""
