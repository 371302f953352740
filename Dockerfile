# The production on InterSystems IRIS (community edition) with IoP.
# The base image is pinned (IoP 4.1 needs IRIS 2024.1 or newer): change the tag deliberately.
ARG IMAGE=containers.intersystems.com/intersystems/iris-community:2025.1
FROM $IMAGE
# The base image's pip (Ubuntu 24.04's): the install lines below are rehearsed in CI with this very
# version (tests/host/test_image_rehearsal.py); a new base image with another pip stops the build here.
ARG PIP_VERSION=24.0

# The application folder belongs to irisowner, who runs IRIS and every step below; so does
# /durable, where docker-compose.yml keeps IRIS's durable %SYS (a named volume takes this owner).
USER root
WORKDIR /irisdev/app
RUN mkdir -p /durable \
    && chown ${ISC_PACKAGE_MGRUSER}:${ISC_PACKAGE_IRISGROUP} /irisdev/app /durable
USER ${ISC_PACKAGE_MGRUSER}

# Embedded Python: IoP and the components run inside IRIS, in namespace IRISAPP. Packages go where
# IRIS's embedded Python looks (each pip line says --target: a PIP_TARGET variable would also reach
# the pip that builds the project, which pip 24.0 refuses); the shell's python3 sees them too.
# SUSTAINABLE_ML_ROOT: the application root (misc/, var/, src/model), the sources copied below.
ENV IRISUSERNAME="SuperUser" \
    IRISPASSWORD="SYS" \
    IRISNAMESPACE="IRISAPP" \
    PYTHON_PATH=/usr/irissys/bin/ \
    LD_LIBRARY_PATH=/usr/irissys/bin \
    PATH="/usr/irissys/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    PIP_BREAK_SYSTEM_PACKAGES=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONPATH=/usr/irissys/mgr/python \
    SUSTAINABLE_ML_ROOT=/irisdev/app \
    # TuningOperation and the review loader read iris.Review from IRIS itself.
    DATABASE_URL="iris+emb://IRISAPP"

RUN pip3 --version | grep -q "^pip ${PIP_VERSION} " \
    || { echo "the base image's pip is not ${PIP_VERSION}: rehearse the pip lines with it, then change PIP_VERSION"; exit 1; }

# 1. The dependencies before the sources, so that editing code does not reinstall them. One pip
# run (pip --target ignores what an earlier run put there); torch and torchvision come from
# PyTorch's CPU index at requirements.txt's versions (PyPI's wheels pull several GB of CUDA
# libraries), the rest from PyPI.
COPY requirements.txt requirements-iris.txt ./
RUN pip3 install --target /usr/irissys/mgr/python \
        --index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple \
        -r requirements.txt -r requirements-iris.txt

# 2. The sources. The project's own packages (mlcore, iophost) are installed into IRIS's Python
# path: IRIS jobs import them without any PYTHONPATH. src/model (the model cache) belongs to
# irisowner, who runs IRIS; docker-compose.yml keeps it in a named volume.
COPY --chown=${ISC_PACKAGE_MGRUSER}:${ISC_PACKAGE_IRISGROUP} . .
RUN pip3 install --no-deps --target /usr/irissys/mgr/python . && mkdir -p src/model

# 3. Namespace, IoP's classes, ours (the build fails when one does not compile), the production
# (started by IRIS with the container: auto-start), and the review table filled from
# misc/dataset/dataset.txt.
RUN iris start IRIS \
    && iris session IRIS < iris.script \
    && python3 -m iop --init \
    && iris session IRIS -U IRISAPP < src/iris/load-classes.script \
    && python3 -m iop --migrate /irisdev/app/src/python/settings.py \
    && python3 -m iop --default iris.Production \
    && iris session IRIS -U IRISAPP < src/iris/auto-start.script \
    && python3 -m mlcore.reviews_loader --file /irisdev/app/misc/dataset/dataset.txt \
    && iris stop IRIS quietly
