"""The page pipeline: page sources (PDF pages, image frames), page preparation, Tesseract,
poppler and the searchable PDF. It reads files and runs programs; it never touches the
database or Redis, so it can be tested and benchmarked on its own.
"""
