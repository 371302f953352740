# The production on InterSystems IRIS (community edition) with IoP.
ARG IMAGE=intersystemsdc/iris-community:latest
FROM $IMAGE

WORKDIR /irisdev/app
COPY --chown=${ISC_PACKAGE_MGRUSER}:${ISC_PACKAGE_IRISGROUP} . .

# Embedded Python: IoP and the components run inside IRIS, in namespace IRISAPP.
ENV IRISUSERNAME="SuperUser" \
    IRISPASSWORD="SYS" \
    IRISNAMESPACE="IRISAPP" \
    PYTHON_PATH=/usr/irissys/bin/ \
    LD_LIBRARY_PATH=/usr/irissys/bin \
    PATH="/home/irisowner/.local/bin:/usr/irissys/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    PYTHONPATH=/irisdev/app/src \
    # TuningOperation and the review loader read iris.Review from IRIS itself.
    DATABASE_URL="iris+emb://IRISAPP"

RUN pip3 install --break-system-packages --no-cache-dir -r requirements.txt

RUN iris start IRIS \
    && iris session IRIS < iris.script \
    && iop --init \
    && iop --migrate /irisdev/app/src/python/settings.py \
    && iop --default iris.Production \
    && python3 -m mlcore.reviews_loader --file /irisdev/app/misc/dataset/dataset.txt \
    && iris stop IRIS quietly
