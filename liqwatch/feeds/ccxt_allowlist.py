"""What a generic (ccxt) account may call and send: the unified read methods, and per exchange id the exact
(method, path) pairs of the HTTP requests those reads make. Data only; ``liqwatch.feeds.ccxt_guard`` applies it.

The exact lists were measured, not guessed: each read below was run through stock ccxt 4.5.90 against the
project's emulator with the instance's ``fetch`` recording every request (and, for Binance's listen-key renewal,
read in ccxt.pro's ``keep_alive_listen_key``). A path ccxt's reads need that is missing here is refused, loudly:
adding it is a deliberate change of this file, as it is for the native adapters' allowlists.
"""

from __future__ import annotations

#: The unified ccxt methods a monitor calls. Everything else (``create_order``, ``cancel_order``,
#: ``edit_order``, ``set_leverage``, ``set_margin_mode``, ``transfer``, ``withdraw``, every implicit API method)
#: is refused by the wrapper before ccxt sees the call.
READ_METHODS: frozenset[str] = frozenset({
    "load_markets", "fetch_markets", "fetch_currencies", "fetch_time",
    "fetch_positions", "fetch_balance",
    "fetch_mark_price", "fetch_mark_prices", "fetch_ticker", "fetch_tickers",
    "fetch_funding_rate", "fetch_funding_rates", "fetch_funding_history",
    "watch_positions", "watch_balance", "watch_mark_price", "watch_mark_prices", "watch_ticker", "watch_tickers",
    "close",
})

#: Plain (not coroutine) members the adapter reads: capability flags, the caches the watch calls fill (ccxt
#: coalesces bursts, so state is read from them), market lookup. None of them sends anything.
READ_ATTRIBUTES: frozenset[str] = frozenset({
    "id", "name", "has", "markets", "symbols", "currencies", "rateLimit", "timeout", "urls", "options",
    "positions", "balance", "tickers", "market",
})

#: Per exchange id, the requests its reads make, as (method, path below the REST base). Measured for these reads:
#: load_markets (with and without keys), fetch_time, fetch_positions, fetch_balance, fetch_mark_price(s),
#: fetch_ticker(s), fetch_funding_rate(s), fetch_funding_history, fetch_currencies, watch_positions,
#: watch_balance, and the key-permission read (liqwatch.feeds.ccxt_keys).
EXACT_REQUESTS: dict[str, frozenset[tuple[str, str]]] = {
    "binanceusdm": frozenset({
        ("GET", "/fapi/v1/exchangeInfo"), ("GET", "/fapi/v1/time"), ("GET", "/fapi/v1/premiumIndex"),
        ("GET", "/fapi/v1/ticker/24hr"), ("GET", "/fapi/v1/leverageBracket"), ("GET", "/fapi/v1/income"),
        ("GET", "/fapi/v3/positionRisk"), ("GET", "/fapi/v3/account"),
        # load_markets with keys and ccxt's default options asks the wallet's coin list and the margin pairs
        # (options fetchCurrencies = False, as the emulator tests set, leaves both out).
        ("GET", "/sapi/v1/capital/config/getall"), ("GET", "/sapi/v1/margin/allPairs"),
        ("GET", "/sapi/v1/account/apiRestrictions"),
        # The user stream's listen key: created by the first private watch, renewed every 20 minutes.
        ("POST", "/fapi/v1/listenKey"), ("PUT", "/fapi/v1/listenKey"),
    }),
    "bybit": frozenset({
        ("GET", "/v5/market/instruments-info"), ("GET", "/v5/market/time"), ("GET", "/v5/market/tickers"),
        ("GET", "/v5/market/risk-limit"), ("GET", "/v5/asset/coin/query-info"), ("GET", "/v5/position/list"),
        ("GET", "/v5/account/wallet-balance"), ("GET", "/v5/account/info"), ("GET", "/v5/execution/list"),
        ("GET", "/v5/user/query-api"),
    }),
    "okx": frozenset({
        ("GET", "/api/v5/public/instruments"), ("GET", "/api/v5/public/time"), ("GET", "/api/v5/public/mark-price"),
        ("GET", "/api/v5/public/funding-rate"), ("GET", "/api/v5/market/ticker"), ("GET", "/api/v5/market/tickers"),
        ("GET", "/api/v5/asset/currencies"), ("GET", "/api/v5/account/positions"),
        ("GET", "/api/v5/account/balance"), ("GET", "/api/v5/account/bills-archive"),
        ("GET", "/api/v5/account/config"),
    }),
    # Every Hyperliquid read is a POST to /info; its actions (orders, transfers, withdrawals) go to another path.
    "hyperliquid": frozenset({("POST", "/info")}),
}

#: For an id without an exact list: GET only, plus these POST paths where the id's reads need a POST. Empty for
#: now: an exchange whose private reads are POSTs (Kraken spot's, for one) is refused until its reads are listed.
DEFAULT_POST_READS: dict[str, frozenset[str]] = {}

#: GET alone is not enough: some exchanges write with GET (Deribit's ``private/buy``, ``private/cancel``,
#: ``private/withdraw``, ``private/close_position`` and ``private/set_*`` are all GETs in ccxt). On the default
#: policy a path is refused, whatever its method, when it holds one of these anywhere...
DEFAULT_REFUSED_WORDS: tuple[str, ...] = ("withdraw", "transfer", "order", "cancel", "leverage")
#: ... or has a word (split at ``/ _ - .`` and camelCase) that starts with one of these verbs. Reads a monitor
#: makes are named by nouns or by ``get``/``query``/``list``; a read refused by mistake fails loudly, a write let
#: through would not.
DEFAULT_REFUSED_VERBS: tuple[str, ...] = (
    "buy", "sell", "edit", "close", "set", "reset", "create", "remove", "delete", "change", "enable", "disable",
    "toggle", "submit", "execute", "add", "invalidate", "update", "place", "amend", "modify", "replace", "borrow",
    "repay", "liquidate", "convert", "redeem", "stake", "unstake", "lend", "mint", "send", "approve", "reject",
    "accept", "verify", "move", "mass", "logout", "exercise", "claim",
)
#: Words that refuse a websocket message on the default policy (anywhere in it): what a monitor never sends.
DEFAULT_REFUSED_WS_WORDS: tuple[str, ...] = ("order", "cancel", "withdraw", "transfer", "leverage")

#: Per id, the implicit API methods that read the key's own permissions (liqwatch.feeds.ccxt_keys): the one
#: implicit method each may call, on top of READ_METHODS.
KEY_PERMISSION_METHODS: dict[str, str] = {
    "binanceusdm": "sapiGetAccountApiRestrictions",
    "bybit": "privateGetV5UserQueryApi",
    "okx": "privateGetAccountConfig",
}
