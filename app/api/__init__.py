"""All resource routers gathered under ``/api/v1``."""

from fastapi import APIRouter

from app.api import articles, entities, quotations, quotes, search, stats, stories, writes

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(articles.router)
api_router.include_router(quotes.router)
api_router.include_router(entities.router)
api_router.include_router(search.router)
api_router.include_router(stories.router)
api_router.include_router(quotations.router)
api_router.include_router(writes.router)
api_router.include_router(stats.router)
