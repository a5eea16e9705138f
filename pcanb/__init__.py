"""pcanb"""
